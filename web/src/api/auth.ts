// Accounts and sessions: /api/auth/*.
import { json, request } from "./http";
import type { Session, User } from "./types";

export const authApi = {
  register: (input: { email: string; password: string; name: string; invitationToken?: string }) =>
    request<{ user: User; accessToken: string; joinedProjectId?: string }>(
      "/api/auth/register",
      json("POST", input),
    ),
  /** "Forgot password": the same answer for every address. */
  requestReset: (email: string) =>
    request<{ message: string }>("/api/auth/password-reset", json("POST", { email })),
  completeReset: (input: { token: string; password: string }) =>
    request<{ user: User; accessToken: string }>("/api/auth/password-reset/complete", json("POST", input)),
  login: (input: { email: string; password: string }) =>
    request<{ user: User; accessToken: string }>("/api/auth/login", json("POST", input)),
  logout: () => request<void>("/api/auth/logout", { method: "POST", retry: false }),
  me: () => request<{ user: User }>("/api/auth/me"),
  sessions: () => request<{ items: Session[] }>("/api/auth/sessions"),
  revokeSession: (id: string) =>
    request<void>(`/api/auth/sessions/${encodeURIComponent(id)}`, { method: "DELETE" }),
  changePassword: (input: { currentPassword: string; newPassword: string }) =>
    request<void>("/api/auth/password", json("POST", input)),
};
