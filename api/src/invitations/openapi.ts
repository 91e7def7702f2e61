// The invitation routes as OpenAPI operations (assembled by ../openapi.ts).
import { list, type Operation } from "../http/operation.ts";
import { invitationPreview, invitationSchema, inviteBody, inviteResult, previewBody } from "./schemas.ts";

export const invitationOperations: Operation[] = [
  {
    tag: "invitations",
    method: "post",
    path: "/api/projects/{id}/invitations",
    summary:
      "Invite by e-mail (owner): an account is added at once, anyone else is mailed a sign-up link; the answer is the same (429 past 50 an hour)",
    auth: true,
    body: inviteBody,
    response: inviteResult,
    status: 202,
  },
  {
    tag: "members",
    method: "post",
    path: "/api/projects/{id}/members",
    summary: "Invite by e-mail (owner): the same as POST /api/projects/{id}/invitations",
    auth: true,
    body: inviteBody,
    response: inviteResult,
    status: 202,
  },
  {
    tag: "invitations",
    method: "get",
    path: "/api/projects/{id}/invitations",
    summary: "Pending invitations (owner; never their links)",
    auth: true,
    response: list(invitationSchema),
  },
  {
    tag: "invitations",
    method: "delete",
    path: "/api/projects/{id}/invitations/{invitationId}",
    summary: "Revoke a pending invitation (owner): its link stops working",
    auth: true,
    status: 204,
  },
  {
    tag: "invitations",
    method: "post",
    path: "/api/projects/{id}/invitations/{invitationId}/resend",
    summary: "Re-send with a new link valid for 7 days (owner); the old link stops working",
    auth: true,
    response: invitationSchema,
  },
  {
    tag: "auth",
    method: "post",
    path: "/api/auth/invitation",
    summary:
      "What an invitation link is for (sign-up prefills the address); 404 when used, revoked or expired",
    body: previewBody,
    response: invitationPreview,
  },
];
