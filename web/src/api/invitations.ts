// Invitations: /api/projects/:id/invitations (owners) and the public preview of a link.
import { json, request } from "./http";
import type { Invitation, InvitationPreview, InviteResult, Page, Role } from "./types";

export const invitationsApi = {
  /** The same answer whether or not the address has an account. */
  invite: (projectId: string, input: { email: string; role: Role }) =>
    request<InviteResult>(`/api/projects/${projectId}/invitations`, json("POST", input)),
  pending: (projectId: string) => request<Page<Invitation>>(`/api/projects/${projectId}/invitations`),
  revoke: (projectId: string, id: string) =>
    request<void>(`/api/projects/${projectId}/invitations/${id}`, { method: "DELETE" }),
  resend: (projectId: string, id: string) =>
    request<Invitation>(`/api/projects/${projectId}/invitations/${id}/resend`, { method: "POST" }),
  /** What a link is for; the token goes in the body, never in a URL the server sees. */
  preview: (token: string) => request<InvitationPreview>("/api/auth/invitation", json("POST", { token })),
};
