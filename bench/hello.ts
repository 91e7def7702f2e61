// Framework ceiling: the smallest Hono-on-Bun server (same Hono and Bun as the API, resolved from api/).
//   PORT=… bun bench/hello.ts        GET /hello → {"message":"hello"}
import { join } from "node:path";

const honoPath = Bun.resolveSync("hono", join(import.meta.dir, "../api"));
// hono lives in api/node_modules; a minimal local type keeps bench/ free of a dependency of its own.
type HonoApp = {
  get(path: string, handler: (c: { json(body: unknown): Response }) => Response): HonoApp;
  fetch: (request: Request) => Response | Promise<Response>;
};
const { Hono } = (await import(honoPath)) as { Hono: new () => HonoApp };

const app = new Hono();
app.get("/hello", (c) => c.json({ message: "hello" }));
const server = Bun.serve({ port: Number(process.env.PORT ?? 0), hostname: "127.0.0.1", fetch: app.fetch });
process.stdout.write(`listening ${server.port}\n`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
