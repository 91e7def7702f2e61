// Preferences (reminder mails, time zone): /api/me/preferences.
import { json, request } from "./http";

export interface Preferences {
  dueSoonReminders: boolean;
  overdueReminders: boolean;
  /** IANA zone repeating tasks' dates are computed in. */
  timeZone: string;
}

export const preferencesApi = {
  get: () => request<Preferences>("/api/me/preferences"),
  update: (changes: Partial<Preferences>) =>
    request<Preferences>("/api/me/preferences", json("PUT", changes)),
};
