// Throwaway PostgreSQL and Redis servers for tests, benchmarks and CI suites.
// Real binaries from Debian's packages; each call gets its own data directory and free port.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RunningService {
  url: string;
  port: number;
  /** Stops the server for good and removes its data directory. */
  stop(): Promise<void>;
}

/** A server that can also be taken down and brought back on the same port with the same data. */
export interface RestartableService extends RunningService {
  /** Stops the server (PostgreSQL: fast shutdown; Redis: SIGTERM) but keeps its port and data. */
  down(): Promise<void>;
  /** Starts it again on the same port and data directory; resolves once it accepts connections. */
  up(): Promise<void>;
  readonly running: boolean;
}

const isRoot = process.getuid?.() === 0;

type Subprocess = ReturnType<typeof Bun.spawn>;

/** The down/up/stop controls every test server shares, over its own launch and halt. */
function controls(server: {
  url: string;
  port: number;
  dir: string;
  process(): Subprocess | undefined;
  launch(): Promise<void>;
  halt(): Promise<void>;
  reaper: { cancel(): void };
}): RestartableService {
  return {
    url: server.url,
    port: server.port,
    get running() {
      const proc = server.process();
      return proc !== undefined && proc.exitCode === null;
    },
    down: server.halt,
    up: async () => {
      if (!server.process()) await server.launch();
    },
    async stop() {
      server.reaper.cancel();
      await server.halt();
      rmSync(server.dir, { recursive: true, force: true });
    },
  };
}

/** Ports handed out by this process: a random pick never repeats one a service has not bound yet. */
const handedOut = new Set<number>();

/**
 * A free TCP port on loopback, below the kernel's ephemeral range (32768–60999): a port from that range
 * (what binding port 0 gives) can be taken as the local port of any outgoing connection before the
 * service it was picked for binds it. A Patroni REST API in CI failed so ("Address already in use").
 */
export async function freePort(): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (handedOut.has(port)) continue;
    try {
      Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
      handedOut.add(port);
      return port;
    } catch (error) {
      if (attempt >= 200) throw error;
    }
  }
}

export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = join(root, version, "bin");
    if (existsSync(join(dir, "postgres"))) return dir;
  }
  return undefined;
}

export function redisBinary(): string | undefined {
  return Bun.which("redis-server") ?? undefined;
}

/** Runs a command as the `postgres` user when we are root: PostgreSQL refuses to run as root. */
function asPostgresUser(cmd: string[]): string[] {
  return isRoot ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
}

export async function waitFor(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await Bun.sleep(50);
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o777);
  return dir;
}

/**
 * `bun test` does not emit process "exit", so an exit handler cannot stop a server: it would outlive
 * the test run. A small reaper shell waits for this process to go away, then runs `stopCommand` and
 * removes `dir`. stop() cancels it.
 */
export function reapWhenGone(stopCommand: string, dir?: string): { cancel(): void } {
  const cleanup = dir ? `; rm -rf '${dir}'` : "";
  const reaper = Bun.spawn(
    ["bash", "-c", `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${stopCommand}${cleanup}`],
    { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
  );
  reaper.unref();
  return { cancel: () => reaper.kill() };
}

export async function startPostgres(): Promise<RestartableService> {
  const bin = postgresBinDir();
  if (!bin)
    throw new Error("PostgreSQL binaries not found under /usr/lib/postgresql (apt-get install postgresql)");
  const dir = tempDir("tp-pg-");
  const data = join(dir, "data");
  const init = Bun.spawnSync(
    asPostgresUser([
      join(bin, "initdb"),
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]),
    { stdout: "pipe", stderr: "pipe" },
  );
  if (init.exitCode !== 0) throw new Error(`initdb failed: ${init.stderr.toString()}`);
  const port = await freePort();
  let proc: Subprocess | undefined;
  const launch = async () => {
    proc = Bun.spawn(
      asPostgresUser([
        join(bin, "postgres"),
        "-D",
        data,
        "-p",
        String(port),
        "-k",
        dir,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=300",
      ]),
      { stdout: "ignore", stderr: "pipe" },
    );
    const started = proc;
    await waitFor(async () => {
      if (started.exitCode !== null) throw new Error(`PostgreSQL exited with ${started.exitCode}`);
      const probe = Bun.spawnSync([join(bin, "pg_isready"), "-h", "127.0.0.1", "-p", String(port)]);
      return probe.exitCode === 0;
    }, "PostgreSQL");
  };
  // Signals go to the postmaster itself: as root it runs under runuser, which does not forward them.
  const signal = (name: NodeJS.Signals) => {
    try {
      const pid = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
      if (pid > 0) process.kill(pid, name);
    } catch {
      // not running
    }
  };
  // Fast shutdown (SIGINT): ends sessions, checkpoints, so nothing committed is lost.
  const halt = async () => {
    const running = proc;
    proc = undefined;
    if (!running || running.exitCode !== null) return;
    signal("SIGINT");
    await running.exited;
  };
  await launch();
  // Immediate shutdown if the test process ends without stopping the server.
  const reaper = reapWhenGone(
    `kill -QUIT "$(head -1 '${join(data, "postmaster.pid")}')" 2>/dev/null; sleep 2`,
    dir,
  );
  return controls({
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    process: () => proc,
    launch,
    halt,
    reaper,
  });
}

/** A Redis that can also hang: paused (SIGSTOP) it keeps its connections open and answers nothing. */
export interface PausableService extends RestartableService {
  pause(): void;
  resume(): void;
}

/** `args`: extra redis-server options, e.g. ["--stream-node-max-entries", "10"]. */
export async function startRedis(options: { args?: string[] } = {}): Promise<PausableService> {
  const binary = redisBinary();
  if (!binary) throw new Error("redis-server not found (apt-get install redis-server)");
  const dir = tempDir("tp-redis-");
  const port = await freePort();
  let proc: Subprocess | undefined;
  const launch = async () => {
    proc = Bun.spawn(
      [
        binary,
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--pidfile",
        join(dir, "redis.pid"),
        ...(options.args ?? []),
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    const started = proc;
    await waitFor(async () => {
      if (started.exitCode !== null) throw new Error(`Redis exited with ${started.exitCode}`);
      try {
        const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
        socket.end();
        return true;
      } catch {
        return false;
      }
    }, "Redis");
  };
  // No persistence: a restarted Redis is empty, like a cache server that lost its memory.
  const halt = async () => {
    const running = proc;
    proc = undefined;
    if (!running || running.exitCode !== null) return;
    running.kill("SIGTERM");
    await running.exited;
  };
  await launch();
  const reaper = reapWhenGone(`kill -KILL "$(cat '${join(dir, "redis.pid")}')" 2>/dev/null`, dir);
  // Object.assign keeps the `running` getter live (a spread would freeze its current value).
  return Object.assign(
    controls({ url: `redis://127.0.0.1:${port}`, port, dir, process: () => proc, launch, halt, reaper }),
    {
      pause: () => proc?.kill("SIGSTOP"),
      resume: () => proc?.kill("SIGCONT"),
    },
  );
}

/** A fresh, empty database on a running server; returns its URL. Isolates test files from each other. */
export async function createDatabase(serverUrl: string, prefix = "tp_test"): Promise<string> {
  const { default: postgres } = await import("postgres");
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  const name = `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
