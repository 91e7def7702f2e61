// Reference servers, with the same Hono, Bun, postgres.js and ioredis as the API (resolved from api/):
//   PORT=… bun bench/hello.ts        GET /hello → {"message":"hello"}             (framework ceiling)
// With DATABASE_URL and REDIS_URL set, also:
//   GET /hello/pg → one postgres.js `SELECT 1` per request                          (one query's ceiling)
//   GET /hello/io → a cached task list's round trips and nothing else: one Redis script call, one
//                   PostgreSQL query, one 4 KB Redis GET                            (I/O ceiling)
import { join } from "node:path";

const fromApi = (name: string) => Bun.resolveSync(name, join(import.meta.dir, "../api"));
// The packages live in api/node_modules; minimal local types keep bench/ free of dependencies of its own.
type Handler = (c: { json(body: unknown): Response }) => Response | Promise<Response>;
type HonoApp = {
  get(path: string, handler: Handler): HonoApp;
  fetch: (request: Request) => Response | Promise<Response>;
};
type Sql = ((strings: TemplateStringsArray) => Promise<unknown>) & { end(): Promise<void> };
type Redis = {
  eval(script: string, keys: number, ...args: string[]): Promise<unknown>;
  getBuffer(key: string): Promise<Uint8Array | null>;
  set(key: string, value: Uint8Array): Promise<unknown>;
  quit(): Promise<unknown>;
};
const { Hono } = (await import(fromApi("hono"))) as { Hono: new () => HonoApp };

const app = new Hono();
app.get("/hello", (c) => c.json({ message: "hello" }));

const { DATABASE_URL, REDIS_URL } = process.env;
if (DATABASE_URL && REDIS_URL) {
  const postgres = (await import(fromApi("postgres"))).default as (url: string, o: object) => Sql;
  const Redis = (await import(fromApi("ioredis"))).default as new (url: string, o: object) => Redis;
  const sql = postgres(DATABASE_URL, { max: 10 });
  const redis = new Redis(REDIS_URL, {});
  // A gzip-compressed page of 50 tasks is ~4 KB: random bytes of that size stand in for it.
  await redis.set("bench:hello:body", crypto.getRandomValues(new Uint8Array(4096)));
  const counter = "local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 60) return n";
  app.get("/hello/pg", async (c) => {
    await sql`SELECT 1`;
    return c.json({ message: "hello" });
  });
  app.get("/hello/io", async () => {
    await redis.eval(counter, 1, "bench:hello:counter");
    await sql`SELECT 1`;
    const body = await redis.getBuffer("bench:hello:body");
    return new Response(body, { headers: { "Content-Type": "application/octet-stream" } });
  });
}

const server = Bun.serve({ port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1", fetch: app.fetch });
process.stdout.write(`listening ${server.port}\n`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
