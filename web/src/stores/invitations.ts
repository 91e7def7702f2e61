// A project's invitations for its owners: the pending list, inviting (an account joins at once, so the
// members list is refreshed too), revoking and re-sending. Only fetched while `enabled()` (owners).
import { createResource } from "solid-js";
import { invitationsApi } from "../api/invitations";
import type { Invitation, Role } from "../api/types";

export interface InvitationsStore {
  pending: () => Invitation[];
  invite(email: string, role: Role): Promise<void>;
  revoke(id: string): Promise<void>;
  resend(id: string): Promise<void>;
  refetch(): void;
}

export function createInvitationsStore(
  projectId: string,
  enabled: () => boolean,
  onMembersChanged: () => void,
  client = invitationsApi,
): InvitationsStore {
  const [list, { refetch }] = createResource(
    () => (enabled() ? projectId : undefined),
    async (id) => (await client.pending(id)).items,
    { initialValue: [] },
  );
  return {
    pending: () => list.latest ?? [],
    refetch: () => void refetch(),
    async invite(email, role) {
      await client.invite(projectId, { email, role });
      void refetch();
      onMembersChanged();
    },
    async revoke(id) {
      try {
        await client.revoke(projectId, id);
      } finally {
        void refetch();
      }
    },
    async resend(id) {
      try {
        await client.resend(projectId, id);
      } finally {
        void refetch();
      }
    },
  };
}
