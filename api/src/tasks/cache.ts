// Read-through cache of task-list responses. Keys carry the project's tasks_version (bumped in the
// same transaction as every task write) and the requesting user, so a write invalidates by changing
// the key — no scans — and no user is ever served a list computed for someone else.
// Bodies are stored gzip-compressed: a page of tasks is ~20 KB of JSON and ~4 KB compressed, and
// reading large values is what limits a cached list (ioredis on Bun reads 20 KB at a fifth of the rate
// of 4 KB; docs/benchmarks.md). Clients that accept gzip (browsers, nginx) get the stored bytes as they are.
import type { Metrics } from "../metrics.ts";
import type { Store } from "../store/store.ts";
import { StoreUnavailableError } from "../store/store.ts";

/** A list body: JSON text, or the same JSON gzip-compressed. */
export type ListBody = { json: string } | { gzip: Uint8Array<ArrayBuffer> };

export function createListCache(store: Store, metrics: Metrics, ttlSeconds: number) {
  const keyFor = (userId: string, tasksVersion: string, query: Record<string, unknown>) => {
    const canonical = JSON.stringify(Object.entries(query).sort(([a], [b]) => a.localeCompare(b)));
    const digest = new Bun.CryptoHasher("sha256").update(canonical).digest("base64url");
    return `tasks:${String(query.projectId)}:v${tasksVersion}:u${userId}:${digest}`;
  };

  return {
    /** Returns the cached body, or computes, stores and returns it. Store failures bypass the cache. */
    async read(
      userId: string,
      tasksVersion: string,
      query: Record<string, unknown>,
      compute: () => Promise<string>,
    ): Promise<ListBody> {
      const key = keyFor(userId, tasksVersion, query);
      let cached: Uint8Array<ArrayBuffer> | null;
      try {
        cached = await store.getBytes(key);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        metrics.cacheRequests.inc({ result: "bypass" });
        return { json: await compute() };
      }
      if (cached !== null) {
        metrics.cacheRequests.inc({ result: "hit" });
        return { gzip: cached };
      }
      metrics.cacheRequests.inc({ result: "miss" });
      const gzip = Bun.gzipSync(await compute(), { level: 2 });
      // Not awaited: the response need not wait for the cache. A late write is harmless, since its key
      // names the list version it was computed from.
      void store.set(key, gzip, ttlSeconds).catch(() => {});
      return { gzip };
    },
  };
}

/** Serves a list body gzip-encoded when the client accepts it, else as plain JSON. */
export function listResponseInit(body: ListBody, acceptEncoding: string | undefined) {
  const headers: Record<string, string> = { "Content-Type": "application/json", Vary: "Accept-Encoding" };
  if ("json" in body) return { data: body.json, headers };
  if (/\bgzip\b/i.test(acceptEncoding ?? "")) {
    return { data: body.gzip, headers: { ...headers, "Content-Encoding": "gzip" } };
  }
  return { data: Bun.gunzipSync(body.gzip), headers };
}
