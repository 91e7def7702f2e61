// The API as production runs it: compiled with the flags of api/package.json's `build` script (into a temp
// directory, so the tree's api/dist is left alone), started as its own process so its RSS is the API's.
// Logs go to a file (production writes them to stdout; a pipe into this process would cost us CPU).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../api/test/support/services.ts";

export const repoRoot = join(import.meta.dir, "../..");
export const apiDir = join(repoRoot, "api");
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

function run(cmd: string[], cwd: string): void {
  const result = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) {
    throw new Error(`${cmd.join(" ")} failed (${result.exitCode}):\n${result.stderr}\n${result.stdout}`);
  }
}

/** `bun build … --compile` exactly as api/package.json's build script, with the output redirected. */
export function buildCompiledApi(outDir: string): string {
  const pkg = JSON.parse(readFileSync(join(apiDir, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const script = pkg.scripts.build ?? "";
  const args = script.split(/\s+/).filter(Boolean);
  if (args[0] !== "bun" || args[1] !== "build" || !args.includes("--compile")) {
    throw new Error(`api/package.json build script is not a "bun build --compile" command: ${script}`);
  }
  const outfile = join(outDir, "taskplatform-api");
  const at = args.indexOf("--outfile");
  if (at >= 0) args.splice(at, 2);
  run([process.execPath, ...args.slice(1), "--outfile", outfile], apiDir);
  return outfile;
}

/** The single-file bundle the container image runs (api/Containerfile), for comparison. */
export function buildBundledApi(outDir: string): string {
  const outfile = join(outDir, "taskplatform-api.js");
  run(
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
    apiDir,
  );
  return outfile;
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
  const errFile = options.logFile.replace(/\.log$/, "") + ".stderr";
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
