import { expect, test } from "bun:test";
import { createRoot } from "solid-js";
import { DEFAULT_MAIL_DELIVERY } from "../../../api/src/preferences/schemas.ts";
import type { Preferences, preferencesApi, UpdatePreferences } from "../api/preferences";
import { createPreferencesStore, withChanges } from "./preferences";

const DEFAULTS: Preferences = {
  dueSoonReminders: true,
  overdueReminders: true,
  mailEnabled: true,
  mailDelivery: DEFAULT_MAIL_DELIVERY,
  timeZone: "UTC",
};

test("a change shows at once, saves, and goes back when the server refuses", async () => {
  let server: Preferences = DEFAULTS;
  let refuse = false;
  const client = {
    get: async () => server,
    update: async (changes: UpdatePreferences) => {
      if (refuse) throw new Error("refused");
      server = withChanges(server, changes);
      return server;
    },
  } as typeof preferencesApi;
  const store = createRoot(() => createPreferencesStore(client));
  while (store.preferences.loading || !store.preferences()) await Bun.sleep(1);
  await store.update({ dueSoonReminders: false });
  await store.update({ mailDelivery: { commented: "off" } });
  const saved: Preferences = {
    ...DEFAULTS,
    dueSoonReminders: false,
    mailDelivery: { ...DEFAULTS.mailDelivery, commented: "off" },
  };
  expect(store.preferences()).toEqual(saved);
  refuse = true;
  const saving = store.update({ mailDelivery: { assigned: "digest" } });
  expect(store.preferences()?.mailDelivery.assigned).toBe("digest");
  expect(store.preferences()?.mailDelivery.commented).toBe("off");
  await expect(saving).rejects.toThrow("refused");
  expect(store.preferences()).toEqual(saved);
  refuse = false;
  await store.update({ timeZone: "Europe/Paris" });
  expect(server.timeZone).toBe("Europe/Paris");
  expect(store.preferences()).toEqual({ ...saved, timeZone: "Europe/Paris" });
});

test("two overlapping changes: the first one's late answer does not put its value back", async () => {
  let server: Preferences = DEFAULTS;
  const answers: (() => void)[] = [];
  const client = {
    get: async () => server,
    // The server applies each change at once, in order; its answers reach the page when the test says.
    update: (changes: UpdatePreferences) => {
      server = withChanges(server, changes);
      const snapshot = server;
      return new Promise<Preferences>((resolve) => answers.push(() => resolve(snapshot)));
    },
  } as typeof preferencesApi;
  const store = createRoot(() => createPreferencesStore(client));
  while (store.preferences.loading || !store.preferences()) await Bun.sleep(1);
  const first = store.update({ mailDelivery: { assigned: "digest" } });
  const second = store.update({ mailDelivery: { assigned: "off" } });
  expect(store.preferences()?.mailDelivery.assigned).toBe("off");
  answers[0]?.();
  await first;
  expect(store.preferences()?.mailDelivery.assigned).toBe("off");
  answers[1]?.();
  await second;
  expect(store.preferences()?.mailDelivery.assigned).toBe("off");
});
