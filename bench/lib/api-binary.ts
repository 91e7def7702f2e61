// The API as production runs it: the executable api/package.json's `build` script compiles (what
// api/Containerfile ships; buildCompiledApi), started as its own process so its RSS is the API's.
// Logs go to a file (production writes them to stdout; a pipe into this process would cost us CPU).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../api/test/support/services.ts";

export const repoRoot = join(import.meta.dir, "../..");
export const BENCH_JWT_SECRET = "bench-only-secret-0123456789abcdef0123456789";

/** Environment every benchmark API instance gets on top of the URLs and port. */
export function benchApiEnv(): Record<string, string> {
  return {
    HOST: "127.0.0.1",
    JWT_SECRET: BENCH_JWT_SECRET,
    LOG_LEVEL: "info",
    TRUST_PROXY: "true",
    // All load comes from one loopback address and one user: the limits would answer 429 within a
    // second. The limiter still runs (one Redis round trip per scope), only the ceilings are lifted.
    RATE_LIMIT_IP: "1000000000",
    RATE_LIMIT_USER: "1000000000",
    RATE_LIMIT_AUTH_IP: "1000000000",
    LOGIN_FAILURES_MAX: "1000000000",
    // A full run takes longer than the default 15-minute access token.
    ACCESS_TOKEN_TTL_SECONDS: "7200",
  };
}

/** A single-file bundle run by `bun` (what the image shipped before the executable), for comparison. */
export function buildBundledApi(outDir: string): string {
  const outfile = join(outDir, "taskplatform-api.js");
  const result = Bun.spawnSync(
    [
      process.execPath,
      "build",
      "src/main.ts",
      "--target=bun",
      "--minify-syntax",
      "--minify-whitespace",
      "--outfile",
      outfile,
    ],
    { cwd: join(repoRoot, "api"), stdout: "pipe", stderr: "pipe" },
  );
  if (result.exitCode !== 0) throw new Error(`bundling the API failed: ${result.stderr}`);
  return outfile;
}

/**
 * Drops the executable's pages from the page cache, so the next start reads it from disk as a
 * deployed one (after a reboot or once the kernel reclaimed the cache) does. Just written, the kernel
 * maps ~4 MB more of bun's own machine code into each process (larger page-cache blocks): the same
 * code, a different RSS (docs/benchmarks.md#idle-rss).
 */
export function evictFromPageCache(path: string): void {
  for (const cmd of [
    ["sync", path],
    ["dd", `if=${path}`, "iflag=nocache", "count=0", "status=none"],
  ]) {
    const result = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${result.stderr}`);
  }
}

export interface ApiProcess {
  url: string;
  port: number;
  /** The current process id (changes when restart() replaces a crashed process). */
  pid: number;
  /** Milliseconds from spawn to the first /api/ready 200. */
  readyMs: number;
  logFile: string;
  /** Where the process's stderr goes (a crash's stack trace). */
  errFile: string;
  rssMb(): number;
  /** The exit code if the process has ended (crashed), else null. */
  exitCode(): number | null;
  /** Starts a new process on the same port (after a crash); logs are appended. */
  restart(): Promise<void>;
  stop(): Promise<number | null>;
}

export function rssMbOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1] ?? Number.NaN);
    return kb / 1024;
  } catch {
    return Number.NaN;
  }
}

function tail(path: string, chars = 3000): string {
  try {
    return readFileSync(path, "utf8").slice(-chars);
  } catch {
    return "";
  }
}

/**
 * Starts `command serve` (a compiled binary, or [bun, file]) and polls /api/ready every 2 ms, so readyMs
 * is the start-to-ready time within ~2 ms.
 */
export async function startApiProcess(options: {
  command: string[];
  databaseUrl: string;
  redisUrl: string;
  logFile: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const errFile = `${options.logFile.replace(/\.log$/, "")}.stderr`;
  const spawn = async (): Promise<{ proc: ReturnType<typeof Bun.spawn>; readyMs: number }> => {
    const started = performance.now();
    const proc = Bun.spawn([...options.command, "serve"], {
      env: {
        ...process.env,
        ...benchApiEnv(),
        PORT: String(port),
        DATABASE_URL: options.databaseUrl,
        REDIS_URL: options.redisUrl,
        ...options.env,
      },
      stdin: "ignore",
      // Bun.file() replaces the file; appending keeps what a crashed predecessor wrote.
      stdout: Bun.file(`${options.logFile}${generation ? `.${generation}` : ""}`),
      stderr: Bun.file(`${errFile}${generation ? `.${generation}` : ""}`),
    });
    process.once("exit", () => proc.kill("SIGKILL"));
    const deadline = started + (options.timeoutMs ?? 20_000);
    while (performance.now() < deadline) {
      if (proc.exitCode !== null) {
        throw new Error(
          `API exited with ${proc.exitCode} before ready:\n${tail(errFile)}${tail(options.logFile)}`,
        );
      }
      try {
        const response = await fetch(`${url}/api/ready`, { signal: AbortSignal.timeout(1000) });
        await response.arrayBuffer();
        if (response.status === 200) return { proc, readyMs: performance.now() - started };
      } catch {
        // not listening yet
      }
      await Bun.sleep(2);
    }
    proc.kill("SIGKILL");
    throw new Error(`API not ready within the timeout:\n${tail(options.logFile)}`);
  };
  let generation = 0;
  let { proc, readyMs } = await spawn();
  const api: ApiProcess = {
    url,
    port,
    pid: proc.pid,
    readyMs,
    logFile: options.logFile,
    errFile,
    rssMb: () => rssMbOf(proc.pid),
    exitCode: () => proc.exitCode ?? (proc.signalCode ? 128 : null),
    async restart() {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await proc.exited;
      generation++;
      ({ proc, readyMs } = await spawn());
      api.pid = proc.pid;
    },
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGTERM");
      const code = await Promise.race([proc.exited, Bun.sleep(12_000).then(() => null)]);
      if (code === null) proc.kill("SIGKILL");
      return code;
    },
  };
  return api;
}
