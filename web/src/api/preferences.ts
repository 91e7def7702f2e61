// Mail preferences: /api/me/preferences.
import { json, request } from "./http";

export interface Preferences {
  dueSoonReminders: boolean;
  overdueReminders: boolean;
}

export const preferencesApi = {
  get: () => request<Preferences>("/api/me/preferences"),
  update: (changes: Partial<Preferences>) =>
    request<Preferences>("/api/me/preferences", json("PUT", changes)),
};
