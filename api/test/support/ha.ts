// Highly available backends as processes on loopback, for the failover suite: one etcd, three PostgreSQL
// members managed by Patroni (synchronous replication), and a Redis primary with two replicas watched
// by three Sentinels; the Patroni part alone for the cluster backup suite. Real binaries from Debian's packages (patroni, etcd-server, redis-sentinel); every
// process is known by its pid, so the suite can kill exactly one of them and clean up all of them.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, postgresBinDir, reapWhenGone, redisBinary, tempDir, waitFor } from "./services.ts";

type Subprocess = ReturnType<typeof Bun.spawn>;

const isRoot = process.getuid?.() === 0;

/** Patroni's timing, lowered from its 30/10/10 defaults so a lost leader is replaced in ~10 s. */
export const PATRONI_TIMING = { ttl: 10, loop_wait: 2, retry_timeout: 3 };
/** Sentinel's: a primary silent for 2 s is down; a failover that stalls is retried after 5 s. */
export const SENTINEL_TIMING = { downAfterMs: 2000, failoverTimeoutMs: 5000 };
export const SENTINEL_MASTER = "taskplatform";
export const REDIS_PASSWORD = "redis-test-password";
export const SENTINEL_PASSWORD = "sentinel-test-password";

/**
 * Starts a long-running process with its output in `dir/name.log` and its pid added to `dir/pids`
 * (what stopAll and the reaper kill); as `postgres` when asked and we are root.
 */
function launch(
  dir: string,
  name: string,
  cmd: string[],
  options: { asPostgres?: boolean } = {},
): Subprocess {
  // setpriv execs the command itself (runuser would stay in between and not pass on signals), so the
  // pid we get is Patroni's and kill -9 reaches it.
  const prefix =
    options.asPostgres && isRoot ? ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"] : [];
  const log = Bun.file(join(dir, `${name}.log`));
  const proc = Bun.spawn([...prefix, ...cmd], { cwd: dir, stdin: "ignore", stdout: log, stderr: log });
  appendFileSync(join(dir, "pids"), `${proc.pid}\n`);
  return proc;
}

/** Kills every process launched in `dir` and every PostgreSQL whose data is there; removes nothing. */
async function stopAll(dir: string): Promise<void> {
  const pids = readFileSync(join(dir, "pids"), "utf8").split("\n").filter(Boolean).map(Number);
  for (const pid of pids) await killAndWait(pid);
  // Immediate shutdown of the postmasters Patroni started (their backends follow).
  for (const name of readdirSync(dir).filter((entry) => /^pg\d+$/.test(entry)))
    await killAndWait(postmasterPid(join(dir, name, "data")), "SIGQUIT");
}

function postmasterPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function killAndWait(pid: number | undefined, signal: NodeJS.Signals = "SIGKILL") {
  if (!pid || !alive(pid)) return;
  process.kill(pid, signal);
  await waitFor(async () => !alive(pid), `process ${pid} to end`, 15_000);
}

export interface PatroniMember {
  name: string;
  pgPort: number;
  restPort: number;
  dataDir: string;
  patroni: Subprocess;
  /** The postmaster's pid (from postmaster.pid), undefined while PostgreSQL is not running. */
  postmasterPid(): number | undefined;
}

export interface ClusterMember {
  name: string;
  role: string;
  state: string;
  port: number;
}

export interface PatroniCluster {
  members: PatroniMember[];
  /** postgres://postgres@127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3/<database>?target_session_attrs=<attrs> */
  url(database: string, attrs?: "primary" | "read-write"): string;
  /** Patroni's view (GET /cluster from the first member that answers). */
  view(): Promise<ClusterMember[]>;
  leader(): Promise<PatroniMember>;
  /** Resolves once `running` members run, one of them the leader and one its synchronous standby. */
  healthy(running: number, timeoutMs?: number): Promise<void>;
}

async function startEtcd(dir: string): Promise<string> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const proc = launch(dir, "etcd", [
    "etcd",
    "--name=e1",
    `--data-dir=${join(dir, "etcd")}`,
    `--listen-client-urls=${url}`,
    `--advertise-client-urls=${url}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=e1=${peer}`,
    "--log-level=warn",
  ]);
  await waitFor(async () => {
    if (proc.exitCode !== null) throw new Error(`etcd exited with ${proc.exitCode}`);
    return (await fetch(`${url}/health`).catch(() => undefined))?.ok ?? false;
  }, "etcd");
  return url;
}

/** A member as its PostgreSQL parameters see it: its name, its directory (data in `dir/data`), its port. */
export interface MemberPlace {
  name: string;
  dir: string;
  pgPort: number;
}

export interface PatroniOptions {
  /** Members (default 3). */
  members?: number;
  /** PostgreSQL parameters per member, added to Patroni's local postgresql.parameters. */
  parameters?: (member: MemberPlace) => Record<string, string | number>;
  /** Added to a member's bootstrap section: a custom bootstrap `method` instead of initdb. */
  bootstrap?: (member: MemberPlace) => Record<string, unknown>;
}

function patroniConfig(
  options: {
    scope: string;
    name: string;
    etcd: string;
    pgPort: number;
    restPort: number;
    dir: string;
    bin: string;
  },
  extra: { parameters: Record<string, string | number>; bootstrap: Record<string, unknown> },
): object {
  return {
    scope: options.scope,
    namespace: "/taskplatform-test/",
    name: options.name,
    restapi: {
      listen: `127.0.0.1:${options.restPort}`,
      connect_address: `127.0.0.1:${options.restPort}`,
    },
    etcd3: { hosts: options.etcd.replace("http://", "") },
    bootstrap: {
      dcs: {
        ...PATRONI_TIMING,
        maximum_lag_on_failover: 1048576,
        // An acknowledged commit is on the synchronous standby too, and only that standby may be
        // promoted: the loss of the primary loses no acknowledged write.
        synchronous_mode: true,
        synchronous_node_count: 1,
        postgresql: {
          use_pg_rewind: false,
          parameters: { max_connections: 200, wal_keep_size: "128MB", hot_standby: "on" },
        },
      },
      initdb: [{ encoding: "UTF8" }, { auth: "trust" }],
      pg_hba: [
        "local all all trust",
        "host all all 127.0.0.1/32 trust",
        "host replication replicator 127.0.0.1/32 trust",
      ],
      ...extra.bootstrap,
    },
    postgresql: {
      listen: `127.0.0.1:${options.pgPort}`,
      connect_address: `127.0.0.1:${options.pgPort}`,
      data_dir: join(options.dir, "data"),
      bin_dir: options.bin,
      pgpass: join(options.dir, "pgpass"),
      authentication: {
        superuser: { username: "postgres", password: "postgres" },
        replication: { username: "replicator", password: "replicator" },
      },
      // fsync off: the suite kills processes, never the machine, and the page cache survives that.
      parameters: {
        unix_socket_directories: options.dir,
        fsync: "off",
        full_page_writes: "off",
        ...extra.parameters,
      },
    },
    watchdog: { mode: "off" },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
}

async function startPatroniCluster(
  dir: string,
  etcd: string,
  options: PatroniOptions = {},
): Promise<PatroniCluster> {
  const size = options.members ?? 3;
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL binaries not found under /usr/lib/postgresql");
  if (!Bun.which("patroni")) throw new Error("patroni not found (apt-get install patroni)");
  const scope = `tp-${crypto.randomUUID().slice(0, 8)}`;
  const members: PatroniMember[] = [];
  for (let i = 1; i <= size; i++) {
    const name = `pg${i}`;
    const memberDir = join(dir, name);
    mkdirSync(memberDir, { mode: 0o700 });
    if (isRoot) Bun.spawnSync(["chown", "postgres:postgres", memberDir]);
    const [pgPort, restPort] = [await freePort(), await freePort()];
    const configFile = join(dir, `${name}.yml`);
    const place = { name, dir: memberDir, pgPort };
    const extra = {
      parameters: options.parameters?.(place) ?? {},
      bootstrap: options.bootstrap?.(place) ?? {},
    };
    // JSON is YAML: Patroni reads it as is.
    writeFileSync(
      configFile,
      JSON.stringify(patroniConfig({ scope, name, etcd, pgPort, restPort, dir: memberDir, bin }, extra)),
    );
    const dataDir = join(memberDir, "data");
    members.push({
      name,
      pgPort,
      restPort,
      dataDir,
      patroni: launch(dir, name, ["patroni", configFile], { asPostgres: true }),
      postmasterPid: () => postmasterPid(dataDir),
    });
  }

  const view = async (): Promise<ClusterMember[]> => {
    for (const member of members) {
      const response = await fetch(`http://127.0.0.1:${member.restPort}/cluster`, {
        signal: AbortSignal.timeout(1000),
      }).catch(() => undefined);
      if (response?.ok) return ((await response.json()) as { members: ClusterMember[] }).members;
    }
    return [];
  };
  const cluster: PatroniCluster = {
    members,
    url: (database, attrs = "primary") =>
      `postgres://postgres@${members.map((m) => `127.0.0.1:${m.pgPort}`).join(",")}/${database}?target_session_attrs=${attrs}`,
    view,
    async leader() {
      const leader = (await view()).find((m) => m.role === "leader" && m.state === "running");
      const member = members.find((m) => m.name === leader?.name);
      if (!member) throw new Error(`no running leader: ${JSON.stringify(await view())}`);
      return member;
    },
    async healthy(running, timeoutMs = 90_000) {
      await waitFor(
        async () => {
          for (const member of members)
            if (member.patroni.exitCode !== null && member.postmasterPid() !== undefined)
              throw new Error(`${member.name}'s Patroni exited:\n${logTail(dir, member.name)}`);
          const state = await view();
          const leader = state.find((m) => m.role === "leader" && m.state === "running");
          const sync = state.find((m) => m.role === "sync_standby" && /running|streaming/.test(m.state));
          const up = state.filter((m) => /running|streaming/.test(m.state)).length;
          return leader !== undefined && sync !== undefined && up >= running;
        },
        `${running} Patroni members, one the leader and one its synchronous standby`,
        timeoutMs,
      );
    },
  };
  await cluster.healthy(size).catch((error: Error) => {
    throw new Error(`${error.message}\n${members.map((m) => logTail(dir, m.name)).join("\n")}`);
  });
  return cluster;
}

function logTail(dir: string, name: string, lines = 30): string {
  try {
    return `--- ${name}.log\n${readFileSync(join(dir, `${name}.log`), "utf8")
      .split("\n")
      .slice(-lines)
      .join("\n")}`;
  } catch {
    return `--- ${name}.log: none`;
  }
}

export interface RedisNode {
  port: number;
  proc: Subprocess;
}

export interface SentinelRedis {
  nodes: RedisNode[];
  sentinels: RedisNode[];
  /** REDIS_SENTINELS for the API: 127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3 */
  sentinelList: string;
  /** The node the Sentinels currently name as master. */
  master(): Promise<RedisNode>;
  /** Resolves once the Sentinels name a master that is up and has `replicas` connected replicas. */
  healthy(replicas: number, timeoutMs?: number): Promise<void>;
}

/** One command over RESP (AUTH first), answered as text: enough for INFO, ROLE and SENTINEL queries. */
async function redisCommand(port: number, password: string, ...args: string[]): Promise<string> {
  const { default: Redis } = await import("ioredis");
  const client = new Redis({
    port,
    host: "127.0.0.1",
    password,
    lazyConnect: true,
    connectTimeout: 1000,
    commandTimeout: 1000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: true,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return JSON.stringify(await client.call(args[0] ?? "PING", ...args.slice(1)));
  } finally {
    client.disconnect();
  }
}

async function startSentinelRedis(dir: string): Promise<SentinelRedis> {
  const binary = redisBinary();
  const sentinelBinary = Bun.which("redis-sentinel");
  if (!binary || !sentinelBinary) throw new Error("redis-server/redis-sentinel not found (apt-get install)");
  const nodes: RedisNode[] = [];
  for (let i = 1; i <= 3; i++) {
    const port = await freePort();
    const nodeDir = join(dir, `redis${i}`);
    mkdirSync(nodeDir);
    const replicaOf = nodes[0] ? ["--replicaof", "127.0.0.1", String(nodes[0].port)] : [];
    const proc = launch(dir, `redis${i}`, [
      binary,
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      nodeDir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--requirepass",
      REDIS_PASSWORD,
      "--masterauth",
      REDIS_PASSWORD,
      ...replicaOf,
    ]);
    nodes.push({ port, proc });
  }
  for (const node of nodes)
    await waitFor(async () => {
      if (node.proc.exitCode !== null) throw new Error(`redis on ${node.port} exited`);
      return (await redisCommand(node.port, REDIS_PASSWORD, "PING").catch(() => "")) === '"PONG"';
    }, "Redis");
  const sentinels: RedisNode[] = [];
  for (let i = 1; i <= 3; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel${i}.conf`);
    const master = `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${nodes[0]?.port} 2`;
    writeFileSync(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${dir}`,
        master,
        `sentinel auth-pass ${SENTINEL_MASTER} ${REDIS_PASSWORD}`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${SENTINEL_TIMING.downAfterMs}`,
        `sentinel failover-timeout ${SENTINEL_MASTER} ${SENTINEL_TIMING.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
        `requirepass ${SENTINEL_PASSWORD}`,
        `sentinel sentinel-pass ${SENTINEL_PASSWORD}`,
        "",
      ].join("\n"),
    );
    sentinels.push({ port, proc: launch(dir, `sentinel${i}`, [sentinelBinary, conf]) });
  }
  const master = async (): Promise<RedisNode> => {
    for (const sentinel of sentinels) {
      const reply = await redisCommand(
        sentinel.port,
        SENTINEL_PASSWORD,
        "SENTINEL",
        "get-master-addr-by-name",
        SENTINEL_MASTER,
      ).catch(() => undefined);
      const port = reply ? Number((JSON.parse(reply) as string[] | null)?.[1]) : Number.NaN;
      const node = nodes.find((n) => n.port === port);
      if (node) return node;
    }
    throw new Error("no Sentinel names a master");
  };
  const redis: SentinelRedis = {
    nodes,
    sentinels,
    sentinelList: sentinels.map((s) => `127.0.0.1:${s.port}`).join(","),
    master,
    async healthy(replicas, timeoutMs = 30_000) {
      await waitFor(
        async () => {
          const node = await master().catch(() => undefined);
          if (!node) return false;
          const info = await redisCommand(node.port, REDIS_PASSWORD, "INFO", "replication").catch(() => "");
          // Every Sentinel knows the others (they found each other through the master's channel).
          const known = await redisCommand(
            sentinels[0]?.port ?? 0,
            SENTINEL_PASSWORD,
            "SENTINEL",
            "sentinels",
            SENTINEL_MASTER,
          ).catch(() => "[]");
          return (
            info.includes("role:master") &&
            info.includes(`connected_slaves:${replicas}`) &&
            (JSON.parse(known) as unknown[]).length === sentinels.length - 1
          );
        },
        `a Redis master with ${replicas} replicas and ${sentinels.length} Sentinels that know each other`,
        timeoutMs,
      );
    },
  };
  await redis.healthy(2);
  return redis;
}

interface Processes {
  dir: string;
  /** The last lines of every process's log, for a failure message. */
  logs(lines?: number): string;
  /** Starts another long-running process that stop() ends too (log: `dir/name.log`). */
  launch(name: string, cmd: string[], options?: { asPostgres?: boolean }): Subprocess;
  stop(): Promise<void>;
}

/**
 * Runs `start` in a new temp dir; stop() ends every process launched there and removes the dir, and a
 * reaper does the same if the test process dies first.
 */
async function inTempDir<T>(prefix: string, start: (dir: string) => Promise<T>): Promise<T & Processes> {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, "pids"), "");
  const reaper = reapWhenGone(
    `for pid in $(cat '${dir}/pids'); do kill -KILL "$pid" 2>/dev/null; done; ` +
      `for f in '${dir}'/pg*/data/postmaster.pid; do kill -QUIT "$(head -1 "$f")" 2>/dev/null; done; sleep 2`,
    dir,
  );
  const stop = async () => {
    await stopAll(dir);
    reaper.cancel();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const started = await start(dir);
    const logs = (lines = 15) =>
      readdirSync(dir)
        .filter((entry) => entry.endsWith(".log"))
        .map((entry) => logTail(dir, entry.slice(0, -".log".length), lines))
        .join("\n");
    return {
      ...started,
      dir,
      logs,
      launch: (name: string, cmd: string[], options?: { asPostgres?: boolean }) =>
        launch(dir, name, cmd, options),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** etcd and three Patroni members with synchronous replication, Redis with Sentinels. */
export function startHighAvailability(): Promise<
  { postgres: PatroniCluster; redis: SentinelRedis } & Processes
> {
  return inTempDir("tp-ha-", async (dir) => {
    const etcd = await startEtcd(dir);
    const [postgres, redis] = await Promise.all([startPatroniCluster(dir, etcd), startSentinelRedis(dir)]);
    return { postgres, redis };
  });
}

/** etcd and three Patroni members only, with extra PostgreSQL parameters per member. */
export function startPatroni(
  options: PatroniOptions = {},
): Promise<{ postgres: PatroniCluster } & Processes> {
  return inTempDir("tp-patroni-", async (dir) => ({
    postgres: await startPatroniCluster(dir, await startEtcd(dir), options),
  }));
}
