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
  return {
    preferences,
    async update(changes) {
      const before = preferences();
      if (before) mutate(withChanges(before, changes));
      try {
        mutate(await client.update(changes));
      } catch (error) {
        if (before) mutate(before);
        throw error;
      }
    },
  };
}
