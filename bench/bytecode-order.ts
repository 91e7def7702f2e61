// Records api/bytecode-order.txt, the profile api/package.json's `build` lays the executable's bytecode
// out by (`bun build --bytecode-order`): the functions a start and the common requests use are placed
// together at the front, so a replica maps fewer of the executable's pages (idle RSS, start time:
// docs/benchmarks.md, third pass). Usage: `bun run bytecode-order` after changing what the API does at
// start or on its common requests. A profile from an older build still applies; functions it does not
// know are laid out after it, so a stale one costs memory, not correctness.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildCompiledApi } from "../api/test/support/api-process.ts";
import { createDatabase, startPostgres, startRedis, tempDir, waitFor } from "../api/test/support/services.ts";
import { BENCH_JWT_SECRET, repoRoot, startApiProcess } from "./lib/api-binary.ts";
import { seed } from "./lib/seed.ts";

const target = join(repoRoot, "api/bytecode-order.txt");
const dir = tempDir("tp-bytecode-order-");
const pg = await startPostgres();
const redis = await startRedis();
try {
  const executable = buildCompiledApi(join(dir, "taskplatform-api"));
  const databaseUrl = await createDatabase(pg.url, "tp_order");
  // Recorded on a database that is up to date, as most starts of a replica find it.
  const migrated = Bun.spawnSync([executable, "migrate"], {
    env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: redis.url, JWT_SECRET: BENCH_JWT_SECRET },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (migrated.exitCode !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
  const data = await seed(databaseUrl, { users: 2, projects: 2, tasks: 200 });

  const profile = join(dir, "order.txt");
  const api = await startApiProcess({
    command: [executable],
    databaseUrl,
    redisUrl: redis.url,
    logFile: join(dir, "api.log"),
    env: { BUN_BYTECODE_ORDER_OUT: profile },
  });
  // The job runner's first round (claims, schedules, gauges) belongs to every start.
  await waitFor(async () => {
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    return /^scheduler_last_run_timestamp_seconds [1-9]/m.test(metrics);
  }, "the job runner's first round");

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await fetch(`${api.url}${path}`, {
      method,
      headers: {
        "Accept-Encoding": "gzip",
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body ? { "Content-Type": "application/json" } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  // The requests bench/lua/taskplatform.lua makes: sign-in, lists (a miss, then a hit), search, writes.
  const { accessToken } = (await call("POST", "/api/auth/login", undefined, {
    email: data.email,
    password: data.password,
  })) as { accessToken: string };
  const [projectId] = data.projectIds;
  const [taskId] = data.taskIds;
  await call("GET", "/api/projects", accessToken);
  for (let i = 0; i < 2; i++) await call("GET", `/api/tasks?projectId=${projectId}`, accessToken);
  await call("GET", `/api/tasks?projectId=${projectId}&q=deploy`, accessToken);
  await call("POST", "/api/tasks", accessToken, { projectId, title: "Profile task", priority: "high" });
  await call("PATCH", `/api/tasks/${taskId}`, accessToken, { title: "Profiled", priority: "low" });
  await call("POST", `/api/tasks/${taskId}/move`, accessToken, { status: "done", position: 0 });
  const code = await api.stop();
  if (code !== 0) throw new Error(`the API exited with ${code}`);
  // Written anew, not copied: the recorder's file is private (0600), the profile is a source file.
  writeFileSync(target, readFileSync(profile));
  console.log(`wrote ${target}`);
} finally {
  await redis.stop();
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
