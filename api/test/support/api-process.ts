// A real API process (`bun api/src/main.ts serve`) for suites that test across processes: the proxy,
// Prometheus, browsers, benchmarks. Waits until /api/ready answers 200.
import { join } from "node:path";
import { freePort, reapWhenGone } from "./services.ts";

export interface RunningApi {
  url: string;
  port: number;
  proc: ReturnType<typeof Bun.spawn>;
  /** Everything the process printed so far (JSON log lines). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export const API_ENTRY = join(import.meta.dir, "../../src/main.ts");
export const TEST_JWT_SECRET = "test-only-secret-0123456789abcdef0123456789";

export async function startApi(options: {
  databaseUrl: string;
  redisUrl: string;
  env?: Record<string, string>;
  port?: number;
  timeoutMs?: number;
}): Promise<RunningApi> {
  const port = options.port ?? (await freePort());
  let output = "";
  const proc = Bun.spawn(["bun", API_ENTRY, "serve"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl,
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: "info",
      ...options.env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  void collect(proc.stdout as ReadableStream<Uint8Array>);
  void collect(proc.stderr as ReadableStream<Uint8Array>);
  // bun test emits no process "exit": a reaper ends the API if the test process goes away first.
  const reaper = reapWhenGone(`kill -KILL ${proc.pid} 2>/dev/null`);
  void proc.exited.then(() => reaper.cancel());

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`API exited with ${proc.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/api/ready`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    await Bun.sleep(50);
  }
  if (Date.now() >= deadline) {
    proc.kill("SIGKILL");
    throw new Error(`API not ready within the timeout:\n${output}`);
  }
  return {
    url,
    port,
    proc,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return proc.exited;
    },
  };
}

/**
 * Runs `bun api/src/main.ts <args>` to completion with exactly `env` (plus PATH and HOME, nothing
 * inherited), for subcommands and start-up failures: exit code and everything printed.
 */
export async function runApi(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn(["bun", API_ENTRY, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => proc.kill("SIGKILL"), timeoutMs);
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  clearTimeout(timer);
  return { exitCode, stdout, stderr };
}
