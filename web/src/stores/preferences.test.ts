import { expect, test } from "bun:test";
import { createRoot } from "solid-js";
import type { Preferences, preferencesApi } from "../api/preferences";
import { createPreferencesStore } from "./preferences";

test("a switch changes at once, saves, and goes back when the server refuses", async () => {
  let server: Preferences = { dueSoonReminders: true, overdueReminders: true };
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
  expect(store.preferences()).toEqual({ dueSoonReminders: false, overdueReminders: true });
  refuse = true;
  const saving = store.set("overdueReminders", false);
  expect(store.preferences()?.overdueReminders).toBe(false);
  await expect(saving).rejects.toThrow("refused");
  expect(store.preferences()).toEqual({ dueSoonReminders: false, overdueReminders: true });
});
