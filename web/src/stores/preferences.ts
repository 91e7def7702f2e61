// The signed-in user's preferences. A change shows at once and rolls back if the server refuses.
import { createResource, type Resource } from "solid-js";
import { type Preferences, preferencesApi, type UpdatePreferences } from "../api/preferences";

export interface PreferencesStore {
  preferences: Resource<Preferences>;
  /** Saves some settings (one kind's mail delivery, a switch); on failure they go back and it throws. */
  update(changes: UpdatePreferences): Promise<void>;
}

/** `changes` applied to `preferences`, kinds of mailDelivery one by one (as the API merges them). */
export function withChanges(preferences: Preferences, changes: UpdatePreferences): Preferences {
  return {
    ...preferences,
    ...changes,
    mailDelivery: { ...preferences.mailDelivery, ...changes.mailDelivery },
  };
}

export function createPreferencesStore(client = preferencesApi): PreferencesStore {
  const [preferences, { mutate }] = createResource(() => client.get());
  // Two quick changes (two arrow presses on a select) overlap: the first one's answer, arriving after the
  // second change was shown, must not put the first value back. Only the latest update's answer (or
  // rollback) is applied; the server applies them in order, so that answer holds both.
  let latest = 0;
  return {
    preferences,
    async update(changes) {
      const sequence = ++latest;
      const before = preferences();
      if (before) mutate(withChanges(before, changes));
      try {
        const saved = await client.update(changes);
        if (sequence === latest) mutate(saved);
      } catch (error) {
        if (before && sequence === latest) mutate(before);
        throw error;
      }
    },
  };
}
