// Preferences (mail, reminders, time zone): /api/me/preferences.
import { json, request } from "./http";
import type { Preferences, UpdatePreferences } from "./types";

export type { Preferences, UpdatePreferences };

export const preferencesApi = {
  get: () => request<Preferences>("/api/me/preferences"),
  update: (changes: UpdatePreferences) => request<Preferences>("/api/me/preferences", json("PUT", changes)),
};
