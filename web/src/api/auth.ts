// Accounts and sessions: /api/auth/*.
import { json, request } from "./http";
import type { Session, User } from "./types";

export const authApi = {
  register: (input: { email: string; password: string; name: string }) =>
    request<{ user: User; accessToken: string }>("/api/auth/register", json("POST", input)),
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
