// Refresh sessions in the store. The refresh token is "<sessionId>.<secret>"; only the secret's SHA-256
// is stored. Every refresh rotates the secret. Tabs of one browser can refresh at the same moment
// with the same cookie, so the secret that was just rotated away stays good for GRACE_SECONDS and gets
// the same new token (the next secret is derived from the previous one with a server key, so every
// racer computes the same one and nothing usable is stored). Presenting any other rotated-away secret
// means the token leaked: the whole session is revoked. A secret that was never this session's is
// simply refused: knowing a session id alone must not end the session.
import { createHmac } from "node:crypto";
import type { Store } from "../store/store.ts";

export interface SessionRecord {
  id: string;
  userId: string;
  refreshHash: string;
  /** Hashes of rotated-away secrets, newest first (records written before this field have none). */
  previousHashes?: string[];
  /** When refreshHash replaced previousHashes[0]. */
  rotatedAt?: string;
  createdAt: string;
  lastUsedAt: string;
  userAgent: string;
  ip: string;
}

export type RefreshOutcome =
  | { ok: true; session: SessionRecord; refreshToken: string }
  | { ok: false; reason: "malformed" | "unknown" | "mismatch" | "reused" };

/** How long a just-rotated secret still refreshes (to the same new token). */
export const GRACE_SECONDS = 30;
/** Rotated-away secrets remembered for reuse detection. */
const REMEMBERED_SECRETS = 10;

const sessionKey = (id: string) => `session:${id}`;
const userSessionsKey = (userId: string) => `user-sessions:${userId}`;

function randomToken(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("base64url");
}

function sha256(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

// Ending a session leaves a marker for as long as its access tokens can live. Checked for every access
// token: a marker rather than the session record, so that access tokens outlive a Redis that lost its
// data (as they outlive a Redis that is down) instead of all failing at once.
export const endedSessionKey = (id: string) => `ended-session:${id}`;

export async function sessionEnded(store: Store, id: string): Promise<boolean> {
  return (await store.get(endedSessionKey(id))) !== null;
}

/** sessionEnded() for many sessions in one round trip: the ids of those that ended. */
export async function endedSessions(store: Store, ids: string[]): Promise<Set<string>> {
  const markers = await store.getMany(ids.map(endedSessionKey));
  return new Set(ids.filter((_, i) => markers[i] !== null));
}

export interface SessionOptions {
  ttlSeconds: number;
  /** Access token lifetime: how long an ended session's marker must stay. */
  accessTtlSeconds: number;
  /** Server secret the next refresh secret is derived with. */
  rotationKey: string;
  now?: () => number;
}

export function createSessions(store: Store, options: SessionOptions) {
  const { ttlSeconds } = options;
  const now = options.now ?? Date.now;
  const nextSecret = (secret: string) =>
    createHmac("sha256", options.rotationKey).update(`refresh-rotation:${secret}`).digest("base64url");

  const parse = (token: string) => {
    const [id, secret, extra] = token.split(".");
    if (!id || !secret || extra !== undefined || id.length > 64 || secret.length > 128) return undefined;
    return { id, secret };
  };

  const read = async (id: string) => {
    const stored = await store.get(sessionKey(id));
    return stored ? { stored, session: JSON.parse(stored) as SessionRecord } : undefined;
  };

  /** What a presented secret is to this session. */
  const classify = (session: SessionRecord, secret: string) => {
    const hash = sha256(secret);
    if (hash === session.refreshHash) return "current";
    const previous = session.previousHashes ?? [];
    const rotatedAgo = now() - Date.parse(session.rotatedAt ?? "");
    if (
      hash === previous[0] &&
      rotatedAgo < GRACE_SECONDS * 1000 &&
      sha256(nextSecret(secret)) === session.refreshHash
    )
      return "grace";
    return previous.includes(hash) ? "reused" : "mismatch";
  };

  const revoke = async (userId: string, sessionId: string) => {
    await store.set(endedSessionKey(sessionId), "1", options.accessTtlSeconds);
    await store.del(sessionKey(sessionId));
    await store.setRemove(userSessionsKey(userId), sessionId);
  };

  return {
    async create(input: { userId: string; userAgent: string; ip: string }) {
      const secret = randomToken(32);
      const at = new Date(now()).toISOString();
      const session: SessionRecord = {
        id: randomToken(16),
        userId: input.userId,
        refreshHash: sha256(secret),
        createdAt: at,
        lastUsedAt: at,
        userAgent: input.userAgent.slice(0, 200),
        ip: input.ip,
      };
      await store.set(sessionKey(session.id), JSON.stringify(session), ttlSeconds);
      await store.setAdd(userSessionsKey(input.userId), session.id, ttlSeconds);
      return { session, refreshToken: `${session.id}.${secret}` };
    },

    async refresh(token: string, context: { ip: string; userAgent: string }): Promise<RefreshOutcome> {
      const parsed = parse(token);
      if (!parsed) return { ok: false, reason: "malformed" };
      const { id, secret } = parsed;
      // A lost compare-and-set means a concurrent refresh rotated first: classify again (then "grace").
      for (let attempt = 0; attempt < 3; attempt++) {
        const found = await read(id);
        if (!found) return { ok: false, reason: "unknown" };
        const { stored, session } = found;
        const kind = classify(session, secret);
        if (kind === "grace") return { ok: true, session, refreshToken: `${id}.${nextSecret(secret)}` };
        if (kind === "mismatch") return { ok: false, reason: "mismatch" };
        if (kind === "reused") {
          await revoke(session.userId, session.id);
          return { ok: false, reason: "reused" };
        }
        const rotated = nextSecret(secret);
        const at = new Date(now()).toISOString();
        const next: SessionRecord = {
          ...session,
          refreshHash: sha256(rotated),
          previousHashes: [session.refreshHash, ...(session.previousHashes ?? [])].slice(
            0,
            REMEMBERED_SECRETS,
          ),
          rotatedAt: at,
          lastUsedAt: at,
          ip: context.ip,
          userAgent: context.userAgent.slice(0, 200),
        };
        if (await store.compareAndSet(sessionKey(id), stored, JSON.stringify(next), ttlSeconds)) {
          return { ok: true, session: next, refreshToken: `${id}.${rotated}` };
        }
      }
      // Still losing races after three tries: refuse this one, the session itself is fine.
      return { ok: false, reason: "mismatch" };
    },

    /** Ends the token's session, if the token is (or was) really this session's. */
    async end(token: string): Promise<void> {
      const parsed = parse(token);
      const found = parsed && (await read(parsed.id));
      if (found && classify(found.session, parsed.secret) !== "mismatch")
        await revoke(found.session.userId, found.session.id);
    },

    async list(userId: string): Promise<SessionRecord[]> {
      const ids = await store.setMembers(userSessionsKey(userId));
      const records: SessionRecord[] = [];
      for (const id of ids) {
        const found = await read(id);
        if (found) records.push(found.session);
        else await store.setRemove(userSessionsKey(userId), id);
      }
      return records.sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt));
    },

    async get(sessionId: string): Promise<SessionRecord | undefined> {
      return (await read(sessionId))?.session;
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
