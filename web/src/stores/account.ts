// The signed-in user's sign-in sessions (this device first, then the most recently used) and
// password. Both change the list: a password change signs the other sessions out.
import { createResource, type Resource } from "solid-js";
import { authApi } from "../api/auth";
import type { Session } from "../api/types";

export interface AccountStore {
  sessions: Resource<Session[]>;
  refetch(): void;
  /** Signs one session out; the list is refetched either way. */
  revoke(id: string): Promise<void>;
  /** Signs every other session out; resolves to how many could not be. */
  revokeOthers(): Promise<number>;
  changePassword(input: { currentPassword: string; newPassword: string }): Promise<void>;
}

export function createAccountStore(client = authApi): AccountStore {
  const [sessions, { refetch }] = createResource(async () =>
    (await client.sessions()).items.sort((a, b) => Number(b.current) - Number(a.current)),
  );
  return {
    sessions,
    refetch: () => void refetch(),
    async revoke(id) {
      try {
        await client.revokeSession(id);
      } finally {
        void refetch();
      }
    },
    async revokeOthers() {
      const others = (sessions() ?? []).filter((s) => !s.current);
      const results = await Promise.allSettled(others.map((s) => client.revokeSession(s.id)));
      void refetch();
      return results.filter((r) => r.status === "rejected").length;
    },
    async changePassword(input) {
      await client.changePassword(input);
      void refetch();
    },
  };
}
