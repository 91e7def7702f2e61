// The signed-in user's preferences. A change shows at once and rolls back if the server refuses.
import { createResource, type Resource } from "solid-js";
import { type Preferences, preferencesApi } from "../api/preferences";

export interface PreferencesStore {
  preferences: Resource<Preferences>;
  /** Saves one preference; on failure it goes back and the error is thrown. */
  set<K extends keyof Preferences>(key: K, value: Preferences[K]): Promise<void>;
}

export function createPreferencesStore(client = preferencesApi): PreferencesStore {
  const [preferences, { mutate }] = createResource(() => client.get());
  return {
    preferences,
    async set(key, value) {
      const before = preferences();
      if (before) mutate({ ...before, [key]: value });
      try {
        mutate(await client.update({ [key]: value }));
      } catch (error) {
        if (before) mutate(before);
        throw error;
      }
    },
  };
}
