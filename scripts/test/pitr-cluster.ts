// A throwaway PostgreSQL 15 that archives its WAL with a real pgBackRest into a temporary repository, for
// the point-in-time recovery suite and bench/pitr.ts. The server is api/test/support/services.ts's; its
// settings go to postgresql.auto.conf (ALTER SYSTEM), so they are part of every backup and a server that
// scripts/restore.sh starts again with pg_ctl comes back on the same port, socket and archive_command.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningService, startPostgres } from "../../api/test/support/services.ts";
import { stopPostgres } from "./pg.ts";

const scripts = join(import.meta.dir, "..");
const isRoot = process.getuid?.() === 0;
export const STANZA = "tp";

export interface Result {
  code: number;
  out: string;
  err: string;
}

export interface ArchivingPostgres {
  url: string;
  /** The data directory (owned by the server's OS user). */
  data: string;
  /** pgBackRest's repository and the backup.sh metrics directory live under here. */
  root: string;
  metrics: string;
  /** archive_timeout of this server, seconds. */
  archiveTimeout: number;
  env: Record<string, string>;
  run(cmd: string[], env?: Record<string, string>): Result;
  psql(sql: string): string;
  backup(args: string[]): Result;
  restore(args: string[], env?: Record<string, string>): Result;
  /** pgbackrest info --output=json, parsed. */
  info(): PgBackRestInfo;
  /** The postmaster's pid: unchanged means nobody restarted the server. */
  postmasterPid(): number;
  /**
   * Waits until the WAL segment holding `lsn` is archived (pg_stat_archiver); resolves with the milliseconds
   * from `since` until then.
   */
  waitArchived(lsn: string, since: number, timeoutMs: number): Promise<number>;
  /** Crash and disk loss: immediate shutdown, then the data directory is deleted. */
  loseDataDirectory(): Promise<void>;
  stop(): Promise<void>;
}

export interface PgBackRestInfo {
  status: { code: number; message: string };
  backup: { label: string; type: string; timestamp: { start: number; stop: number } }[];
}

/** The OS user PostgreSQL runs as: `postgres` when we are root (it refuses root), else ourselves. */
const osUserArgs = isRoot ? ["--os-user", "postgres"] : [];

export async function startArchivingPostgres(archiveTimeout = 10): Promise<ArchivingPostgres> {
  const pg: RunningService = await startPostgres();
  const root = mkdtempSync(join(tmpdir(), "tp-pitr-"));
  chmodSync(root, 0o777);
  const metrics = join(root, "metrics");
  const conf = join(root, "pgbackrest.conf");
  const env = {
    TP_ENV_FILE: "/nonexistent",
    PGBACKREST_CONFIG: conf,
    PGBACKREST_STANZA: STANZA,
    BACKUP_METRICS_DIR: metrics,
  };
  const run = (cmd: string[], extra: Record<string, string> = {}): Result => {
    const res = Bun.spawnSync(cmd, {
      env: { ...process.env, ...env, ...extra },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    return { code: res.exitCode, out: res.stdout.toString(), err: res.stderr.toString() };
  };
  const psql = (sql: string): string => {
    const res = run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", pg.url, "-c", sql]);
    if (res.code !== 0) throw new Error(`psql: ${res.err}`);
    return res.out.trim();
  };
  const data = psql("SHOW data_directory");
  const socketDir = psql("SHOW unix_socket_directories");
  const repo = join(root, "repo");
  mkdirSync(repo, { mode: 0o777 });
  mkdirSync(join(root, "lock"), { mode: 0o777 });
  chmodSync(repo, 0o777);
  chmodSync(join(root, "lock"), 0o777);
  // The same settings as db/pgbackrest.conf, with this server's paths.
  writeFileSync(
    conf,
    [
      "[global]",
      `repo1-path=${repo}`,
      "repo1-retention-full=2",
      "compress-type=zst",
      "start-fast=y",
      "log-level-console=warn",
      "log-level-file=off",
      `lock-path=${join(root, "lock")}`,
      "",
      `[${STANZA}]`,
      `pg1-path=${data}`,
      `pg1-port=${pg.port}`,
      `pg1-socket-path=${socketDir}`,
      "pg1-user=postgres",
      "",
    ].join("\n"),
  );
  chmodSync(conf, 0o644);
  psql(`ALTER SYSTEM SET archive_mode = on`);
  psql(`ALTER SYSTEM SET archive_command = 'pgbackrest --config=${conf} --stanza=${STANZA} archive-push %p'`);
  psql(`ALTER SYSTEM SET archive_timeout = '${archiveTimeout}s'`);
  // services.ts gives these on the command line; pg_ctl (restore.sh) starts the server from its files
  psql(`ALTER SYSTEM SET port = ${pg.port}`);
  psql(`ALTER SYSTEM SET unix_socket_directories = '${socketDir}'`);
  psql(`ALTER SYSTEM SET listen_addresses = '127.0.0.1'`);
  psql(`ALTER SYSTEM SET fsync = off`);
  psql(`ALTER SYSTEM SET max_connections = 300`);
  const restartable = pg as RunningService & { down(): Promise<void>; up(): Promise<void> };
  await restartable.down();
  await restartable.up();

  return {
    url: pg.url,
    data,
    root,
    metrics,
    archiveTimeout,
    env,
    run,
    psql,
    backup: (args) =>
      run(["bash", join(scripts, "backup.sh"), "--local", "--dbname", pg.url, ...osUserArgs, ...args]),
    restore: (args, extra = {}) =>
      run(
        [
          "bash",
          join(scripts, "restore.sh"),
          "--local",
          "--dbname",
          pg.url,
          "--pgdata",
          data,
          ...osUserArgs,
          ...args,
        ],
        extra,
      ),
    info() {
      const res = run([
        ...(isRoot ? ["runuser", "-u", "postgres", "--"] : []),
        "pgbackrest",
        `--stanza=${STANZA}`,
        "--output=json",
        "info",
      ]);
      if (res.code !== 0) throw new Error(`pgbackrest info: ${res.err}`);
      return (JSON.parse(res.out) as PgBackRestInfo[])[0] as PgBackRestInfo;
    },
    postmasterPid: () => Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]),
    async waitArchived(lsn, since, timeoutMs) {
      const segment = psql(`SELECT pg_walfile_name('${lsn}')`);
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        // segment names sort in WAL order (timeline first); the tail of 00000002.history sorts below them
        if (psql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver").slice(0, 24) >= segment)
          return Date.now() - since;
        await Bun.sleep(100);
      }
      throw new Error(
        `WAL segment ${segment} not archived within ${timeoutMs} ms: ${psql("SELECT row_to_json(a) FROM pg_stat_archiver a")}`,
      );
    },
    async loseDataDirectory() {
      process.kill(this.postmasterPid(), "SIGQUIT");
      while (existsSync(join(data, "postmaster.pid"))) await Bun.sleep(50);
      rmSync(data, { recursive: true, force: true });
    },
    async stop() {
      await stopPostgres(pg);
      rmSync(root, { recursive: true, force: true });
    },
  };
}
