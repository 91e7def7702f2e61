// Refresh sessions in the store. The refresh token is "<sessionId>.<secret>" with 256 random bits;
// only the secret's SHA-256 is stored. Every refresh rotates the secret; presenting a secret that was
// already rotated means the token leaked, so the whole session is revoked.
import type { Store } from "../store/store.ts";

export interface SessionRecord {
  id: string;
  userId: string;
  refreshHash: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string;
  ip: string;
}

export type RefreshOutcome =
  | { ok: true; session: SessionRecord; refreshToken: string }
  | { ok: false; reason: "malformed" | "unknown" | "reused" };

const sessionKey = (id: string) => `session:${id}`;
const userSessionsKey = (userId: string) => `user-sessions:${userId}`;

function randomToken(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

function sha256(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

export function createSessions(store: Store, ttlSeconds: number) {
  const save = async (record: SessionRecord) => {
    await store.set(sessionKey(record.id), JSON.stringify(record), ttlSeconds);
  };

  const revoke = async (userId: string, sessionId: string) => {
    await store.del(sessionKey(sessionId));
    await store.setRemove(userSessionsKey(userId), sessionId);
  };

  return {
    async create(input: { userId: string; userAgent: string; ip: string }) {
      const secret = randomToken(32);
      const now = new Date().toISOString();
      const session: SessionRecord = {
        id: randomToken(16),
        userId: input.userId,
        refreshHash: sha256(secret),
        createdAt: now,
        lastUsedAt: now,
        userAgent: input.userAgent.slice(0, 200),
        ip: input.ip,
      };
      await save(session);
      await store.setAdd(userSessionsKey(input.userId), session.id, ttlSeconds);
      return { session, refreshToken: `${session.id}.${secret}` };
    },

    async refresh(token: string, context: { ip: string; userAgent: string }): Promise<RefreshOutcome> {
      const [id, secret, extra] = token.split(".");
      if (!id || !secret || extra !== undefined || id.length > 64 || secret.length > 128)
        return { ok: false, reason: "malformed" };
      const stored = await store.get(sessionKey(id));
      if (!stored) return { ok: false, reason: "unknown" };
      const session = JSON.parse(stored) as SessionRecord;
      if (session.refreshHash !== sha256(secret)) {
        await revoke(session.userId, session.id);
        return { ok: false, reason: "reused" };
      }
      const nextSecret = randomToken(32);
      const next: SessionRecord = {
        ...session,
        refreshHash: sha256(nextSecret),
        lastUsedAt: new Date().toISOString(),
        ip: context.ip,
        userAgent: context.userAgent.slice(0, 200),
      };
      // Two refreshes racing with the same token: only one wins; the loser counts as reuse.
      if (!(await store.compareAndSet(sessionKey(id), stored, JSON.stringify(next), ttlSeconds))) {
        await revoke(session.userId, session.id);
        return { ok: false, reason: "reused" };
      }
      return { ok: true, session: next, refreshToken: `${id}.${nextSecret}` };
    },

    async list(userId: string): Promise<SessionRecord[]> {
      const ids = await store.setMembers(userSessionsKey(userId));
      const records: SessionRecord[] = [];
      for (const id of ids) {
        const stored = await store.get(sessionKey(id));
        if (stored) records.push(JSON.parse(stored) as SessionRecord);
        else await store.setRemove(userSessionsKey(userId), id);
      }
      return records.sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
    },

    async get(sessionId: string): Promise<SessionRecord | undefined> {
      const stored = await store.get(sessionKey(sessionId));
      return stored ? (JSON.parse(stored) as SessionRecord) : undefined;
    },

    revoke,

    async revokeAllExcept(userId: string, keepId: string | undefined) {
      for (const id of await store.setMembers(userSessionsKey(userId))) {
        if (id !== keepId) await revoke(userId, id);
      }
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
