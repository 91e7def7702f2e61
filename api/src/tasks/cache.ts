// Read-through cache of task-list responses. Keys carry the project's tasks_version (bumped in the
// same transaction as every task write) and the requesting user, so a write invalidates by changing
// the key — no scans — and no user is ever served a list computed for someone else.
import type { Metrics } from "../metrics.ts";
import type { Store } from "../store/store.ts";
import { StoreUnavailableError } from "../store/store.ts";

export function createListCache(store: Store, metrics: Metrics, ttlSeconds: number) {
  const keyFor = (userId: string, tasksVersion: string, query: Record<string, unknown>) => {
    const canonical = JSON.stringify(Object.entries(query).sort(([a], [b]) => a.localeCompare(b)));
    const digest = new Bun.CryptoHasher("sha256").update(canonical).digest("base64url");
    return `tasks:${String(query.projectId)}:v${tasksVersion}:u${userId}:${digest}`;
  };

  return {
    /** Returns the cached JSON body, or computes, stores and returns it. Store failures bypass the cache. */
    async read(
      userId: string,
      tasksVersion: string,
      query: Record<string, unknown>,
      compute: () => Promise<string>,
    ): Promise<string> {
      const key = keyFor(userId, tasksVersion, query);
      let cached: string | null;
      try {
        cached = await store.get(key);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        metrics.cacheRequests.inc({ result: "bypass" });
        return compute();
      }
      if (cached !== null) {
        metrics.cacheRequests.inc({ result: "hit" });
        return cached;
      }
      metrics.cacheRequests.inc({ result: "miss" });
      const body = await compute();
      await store.set(key, body, ttlSeconds).catch(() => {});
      return body;
    },
  };
}
