// Development-only PostgreSQL: PGlite (PostgreSQL compiled to WebAssembly) behind its socket server,
// stored in a local folder. The socket server handles one connection at a time, hence pool max 1.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { btree_gin } from "@electric-sql/pglite/contrib/btree_gin";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

export const EMBEDDED_POOL_MAX = 1;

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = probe;
  probe.stop(true);
  return port;
}

/** dataDir undefined keeps the database in memory (tests). */
export async function startEmbeddedPostgres(dataDir?: string): Promise<EmbeddedPostgres> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  // Extensions the migrations create must be loaded into PGlite's WebAssembly build.
  const db = await PGlite.create(dataDir, { extensions: { btree_gin } });
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1" });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
