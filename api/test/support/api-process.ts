// A real API process (`bun api/src/main.ts serve`, or the compiled executable) for suites that test
// across processes: the proxy, Prometheus, browsers, benchmarks. Waits until /api/ready answers 200.
import { readFileSync } from "node:fs";
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
const API_DIR = join(import.meta.dir, "../..");
/** How a process runs the API: from source by default, or a compiled executable. */
const SOURCE_COMMAND = ["bun", API_ENTRY];

/**
 * Compiles the API exactly as api/package.json's `build` script does (what api/Containerfile ships),
 * with the output redirected to `outfile` so the tree's api/dist is left alone.
 */
export function buildCompiledApi(outfile: string): string {
  const pkg = JSON.parse(readFileSync(join(API_DIR, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const script = pkg.scripts.build ?? "";
  const args = script.split(/\s+/).filter(Boolean);
  if (args[0] !== "bun" || args[1] !== "build" || !args.includes("--compile")) {
    throw new Error(`api/package.json build script is not a "bun build --compile" command: ${script}`);
  }
  const at = args.indexOf("--outfile");
  if (at >= 0) args.splice(at, 2);
  const result = Bun.spawnSync([process.execPath, ...args.slice(1), "--outfile", outfile], {
    cwd: API_DIR,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (result.exitCode !== 0) throw new Error(`${script} failed (${result.exitCode}):\n${result.stderr}`);
  return outfile;
}

export async function startApi(options: {
  databaseUrl: string;
  /** Leave out when `env` reaches Redis another way (REDIS_SENTINELS). */
  redisUrl?: string;
  env?: Record<string, string>;
  port?: number;
  timeoutMs?: number;
  /** The compiled executable to run instead of the source. */
  executable?: string;
  /** Another checkout's api/src/main.ts to run instead of this one's (an earlier release). */
  entry?: string;
  /** A command the API runs under, e.g. `prlimit --nofile=256 --` (a low descriptor limit). */
  launcher?: string[];
}): Promise<RunningApi> {
  const port = options.port ?? (await freePort());
  let output = "";
  const command = options.executable
    ? [options.executable]
    : options.entry
      ? ["bun", options.entry]
      : SOURCE_COMMAND;
  const proc = Bun.spawn([...(options.launcher ?? []), ...command, "serve"], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: options.databaseUrl,
      REDIS_URL: options.redisUrl ?? "",
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
 * Runs `bun api/src/main.ts <args>` (or `executable <args>`) to completion with exactly `env` (plus
 * PATH and HOME, nothing inherited), for subcommands and start-up failures: exit code and everything
 * printed.
 */
export async function runApi(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
  executable?: string,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([...(executable ? [executable] : SOURCE_COMMAND), ...args], {
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
