// Readiness over HTTP with PostgreSQL really down (a throwaway server stopped and started again on the
// same port): the public /api/ready answers a status only, the detail stays with operators
// (/internal/ready, the log, readiness_check_up).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createApp } from "../src/app.ts";
import { loadConfig } from "../src/config.ts";
import { createLogger } from "../src/log.ts";
import { createRuntime, type Runtime } from "../src/runtime.ts";
import { API_ENTRY, TEST_JWT_SECRET } from "./support/api-process.ts";
import { eventually } from "./support/client.ts";
import { postgresBinDir, type RestartableService, startPostgres } from "./support/services.ts";

setDefaultTimeout(60_000);

let pg: RestartableService | undefined;
let runtime: Runtime | undefined;
let app: ReturnType<typeof createApp>;
const logs: string[] = [];

beforeAll(async () => {
  if (!postgresBinDir()) {
    if (process.env.CI) throw new Error("CI needs PostgreSQL for this test (apt-get install postgresql)");
    return;
  }
  pg = await startPostgres();
  // No REDIS_URL: the in-process store, so only PostgreSQL goes down.
  const config = loadConfig(
    { JWT_SECRET: TEST_JWT_SECRET, DATABASE_URL: pg.url, DATABASE_POOL_MAX: "2", EVENTS_RETAINED: "10" },
    "dev",
  );
  runtime = await createRuntime(config, { log: createLogger("debug", (line) => logs.push(line)) });
  app = createApp({ ...runtime, config: { ...config, jwtSecret: TEST_JWT_SECRET } });
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  await pg?.stop();
});

async function get(path: string) {
  const res = await app.request(path);
  return { status: res.status, text: await res.text() };
}

async function gauge(check: string): Promise<number | undefined> {
  const metric = await runtime?.metrics.registry.getSingleMetric("readiness_check_up")?.get();
  return metric?.values.find((v) => v.labels.check === check)?.value;
}

describe.skipIf(!postgresBinDir() && !process.env.CI)("readiness with PostgreSQL down", () => {
  test("public /api/ready: status only, no address, port or error text", async () => {
    const server = pg as RestartableService;
    const up = await get("/api/ready");
    expect(up.status).toBe(200);
    expect(JSON.parse(up.text)).toEqual({ status: "ok" });

    await server.down();
    const down = await get("/api/ready");
    expect(down.status).toBe(503);
    expect(JSON.parse(down.text)).toEqual({ status: "unavailable" });
    for (const leak of [String(server.port), "127.0.0.1", "ECONNREFUSED", "connect", "error", "postgres"])
      expect(down.text).not.toContain(leak);
  });

  test("operators keep the detail: /internal/ready, one log line, readiness_check_up", async () => {
    const server = pg as RestartableService;
    const detail = await get("/internal/ready");
    expect(detail.status).toBe(503);
    const body = JSON.parse(detail.text);
    expect(body.status).toBe("unavailable");
    expect(body.checks.postgres.status).toBe("down");
    expect(body.checks.postgres.error).toContain(String(server.port));
    expect(body.checks.redis).toMatchObject({ status: "ok", kind: "memory" });
    expect(await gauge("postgres")).toBe(0);
    expect(await gauge("redis")).toBe(1);
    // one warning for the transition (not one per probe), naming the reason
    const failed = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "readiness check failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ level: "warn", check: "postgres" });
    expect(String(failed[0].error)).toContain(String(server.port));

    // the healthcheck subcommand (the container's probe) reads the detail and prints the reason
    const listener = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
    try {
      const probe = Bun.spawn(["bun", API_ENTRY, "healthcheck"], {
        env: { PATH: process.env.PATH ?? "", PORT: String(listener.port), HOST: "127.0.0.1" },
        stdout: "pipe",
        stderr: "pipe",
      });
      const out = await new Response(probe.stdout).text();
      expect(await probe.exited).toBe(1);
      expect(out).toStartWith("not ready (503): postgres: ");
      expect(out).toContain(String(server.port));
      // …while its liveness mode (the Swarm stack's probe) passes: the process answers
      const live = Bun.spawn(["bun", API_ENTRY, "healthcheck", "--live"], {
        env: { PATH: process.env.PATH ?? "", PORT: String(listener.port), HOST: "127.0.0.1" },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await live.exited).toBe(0);
    } finally {
      listener.stop(true);
    }

    await server.up();
    await eventually(async () => (await get("/api/ready")).status === 200, "ready again", 15_000);
    expect(await gauge("postgres")).toBe(1);
    expect(logs.some((l) => JSON.parse(l).msg === "readiness check recovered")).toBe(true);
  });
});
