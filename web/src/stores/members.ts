// Members of one project: the list (refetched when a member.* event says it changed) and the owner's
// edits. Every edit refreshes the list from the server, which knows the roles that resulted.
import { createResource } from "solid-js";
import { projectsApi } from "../api/projects";
import type { Member, Role } from "../api/types";

export interface MembersStore {
  items: () => Member[];
  /** The member's name; undefined for nobody (null) or someone who is not (or no longer) a member. */
  nameOf(userId: string | null): string | undefined;
  refetch(): void;
  changeRole(userId: string, role: Role): Promise<void>;
  remove(userId: string): Promise<void>;
  /** Removes the signed-in user; no refetch: the list is no longer theirs to read. */
  leave(ownUserId: string): Promise<void>;
}

export function createMembersStore(projectId: string, client = projectsApi): MembersStore {
  const [members, { refetch }] = createResource(
    () => projectId,
    async (id) => (await client.members(id)).items,
    { initialValue: [] },
  );
  const items = () => members.latest ?? [];
  return {
    items,
    nameOf: (userId) => (userId ? items().find((m) => m.userId === userId)?.name : undefined),
    refetch: () => void refetch(),
    async changeRole(userId, role) {
      try {
        await client.updateMember(projectId, userId, role);
      } finally {
        // Refused or not, show the roles the server has.
        void refetch();
      }
    },
    async remove(userId) {
      await client.removeMember(projectId, userId);
      void refetch();
    },
    async leave(ownUserId) {
      await client.removeMember(projectId, ownUserId);
    },
  };
}
