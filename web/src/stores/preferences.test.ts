import { expect, test } from "bun:test";
import { createRoot } from "solid-js";
import type { Preferences, preferencesApi } from "../api/preferences";
import { createPreferencesStore } from "./preferences";

test("a switch changes at once, saves, and goes back when the server refuses", async () => {
  let server: Preferences = { dueSoonReminders: true, overdueReminders: true, timeZone: "UTC" };
  let refuse = false;
  const client = {
    get: async () => server,
    update: async (changes: Partial<Preferences>) => {
      if (refuse) throw new Error("refused");
      server = { ...server, ...changes };
      return server;
    },
  } as typeof preferencesApi;
  const store = createRoot(() => createPreferencesStore(client));
  while (store.preferences.loading || !store.preferences()) await Bun.sleep(1);
  await store.set("dueSoonReminders", false);
  expect(store.preferences()).toEqual({ dueSoonReminders: false, overdueReminders: true, timeZone: "UTC" });
  refuse = true;
  const saving = store.set("overdueReminders", false);
  expect(store.preferences()?.overdueReminders).toBe(false);
  await expect(saving).rejects.toThrow("refused");
  expect(store.preferences()).toEqual({ dueSoonReminders: false, overdueReminders: true, timeZone: "UTC" });
  refuse = false;
  await store.set("timeZone", "Europe/Paris");
  expect(server.timeZone).toBe("Europe/Paris");
});
