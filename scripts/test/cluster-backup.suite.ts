// Backups and point-in-time recovery of the Patroni cluster (issue 22; the Swarm stack's design in
// docs/swarm.md, Backups): three members archive their WAL with `pgbackrest archive-push` over TLS into
// ONE repository held by a `pgbackrest server` (the repository host), which takes the backups from the
// members (pg1..3-host, each member running its own `pgbackrest server`). A full backup, writes, the
// primary lost (kill -9 of its Patroni and postmaster: a new timeline), writes on the
// new primary, `pgbackrest check` from both sides, then a restore to a moment after the failover into a
// fresh data directory: exactly the rows committed before that moment; and the whole cluster restored as
// docs/runbooks.md (Swarm: point-in-time recovery) does it: a new cluster bootstrapped by Patroni from the
// repository at that moment, its standby cloned from it, archiving on. Certificates: the script
// scripts/setup.sh runs. Processes: api/test/support/ha.ts's etcd + Patroni, no containers.
// CI: .ci/suites "cluster backup and recovery". Needs the Debian packages patroni, etcd-server,
// postgresql, pgbackrest.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type MemberPlace, type PatroniMember, startPatroni } from "../../api/test/support/ha.ts";
import { freePort, postgresBinDir, waitFor } from "../../api/test/support/services.ts";

setDefaultTimeout(240_000);

const STANZA = "tp";
const isRoot = process.getuid?.() === 0;
const asPostgres = isRoot ? ["runuser", "-u", "postgres", "--"] : [];

let ha: Awaited<ReturnType<typeof startPatroni>>;
/** The cluster bootstrapped from the repository (the last test). */
let restored: Awaited<ReturnType<typeof startPatroni>> | undefined;
let certs: string;
let repoConf: string;
/** member name → its pgBackRest configuration (client of the repository, server for it) */
const memberConf = new Map<string, string>();

interface Result {
  code: number;
  out: string;
  err: string;
}

function run(cmd: string[]): Result {
  const res = Bun.spawnSync(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  return { code: res.exitCode, out: res.stdout.toString(), err: res.stderr.toString() };
}

/** pgbackrest as the repository's and the data's owner; throws with its output when it fails. */
function pgbackrest(conf: string, ...args: string[]): string {
  const res = run([...asPostgres, "pgbackrest", `--config=${conf}`, `--stanza=${STANZA}`, ...args]);
  if (res.code !== 0)
    throw new Error(`pgbackrest ${args.join(" ")}: exit ${res.code}\n${res.out}${res.err}\n${archiverLog()}`);
  return res.out + res.err;
}

/** The members' archive_command failures (PostgreSQL logs into Patroni's log here). */
function archiverLog(): string {
  return run(["sh", "-c", `grep -h -A4 'archive command failed' '${ha.dir}'/pg?.log | tail -40`]).out;
}

function psql(url: string, sql: string): string {
  const res = run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]);
  if (res.code !== 0) throw new Error(`psql: ${res.err}`);
  return res.out.trim();
}

const primary = (sql: string) => psql(ha.postgres.url("postgres", "read-write"), sql);
const now = () =>
  primary("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00')");

/** pgBackRest's options as its configuration file. */
function writeConf(file: string, sections: Record<string, Record<string, string | number>>): void {
  const text = Object.entries(sections)
    .map(
      ([name, options]) =>
        `[${name}]\n${Object.entries(options)
          .map(([k, v]) => `${k}=${v}\n`)
          .join("")}`,
    )
    .join("\n");
  writeFileSync(file, text);
  chmodSync(file, 0o644);
}

const logging = { "log-level-console": "warn", "log-level-file": "off" };
/** Starts a `pgbackrest server` (as postgres) and waits until it answers on its port. */
async function serve(conf: string, name: string, port: number): Promise<void> {
  const args = [`--config=${conf}`, `--tls-server-port=${port}`];
  const server = ha.launch(`pgbackrest-${name}`, ["pgbackrest", ...args, "server"], { asPostgres: true });
  await waitFor(async () => {
    if (server.exitCode !== null) throw new Error(`pgbackrest server ${name} exited:\n${ha.logs(10)}`);
    return run([...asPostgres, "pgbackrest", ...args, "server-ping"]).code === 0;
  }, `pgbackrest server ${name}`);
}

let repoPort = 0;
/** The repository's directory, on the repository host (the first cluster's temp dir). */
let repository = "";
const confOf = (member: MemberPlace) => join(member.dir, "pgbackrest.conf");

/** The PostgreSQL parameters that archive through a member's pgBackRest configuration. */
function archiving(member: MemberPlace): Record<string, string> {
  // db/patroni/entrypoint.sh sets the same three when the stack has a repository
  return {
    archive_mode: "on",
    archive_command: `pgbackrest --config=${confOf(member)} --stanza=${STANZA} archive-push %p`,
    archive_timeout: "60s",
  };
}

/** A member's pgBackRest configuration: client of the repository, and the server its backups reach. */
function memberConfig(member: MemberPlace): void {
  repository ||= join(dirname(member.dir), "repository");
  certs ||= join(dirname(member.dir), "certs");
  memberConf.set(member.name, confOf(member));
  writeConf(confOf(member), {
    global: {
      "repo1-host": "localhost",
      // the path on the repository host: the client names it in its requests
      "repo1-path": repository,
      "repo1-host-port": repoPort,
      "repo1-host-type": "tls",
      "repo1-host-ca-file": join(certs, "ca.crt"),
      "repo1-host-cert-file": join(certs, "member.crt"),
      "repo1-host-key-file": join(certs, "member.key"),
      "tls-server-address": "localhost",
      "tls-server-ca-file": join(certs, "ca.crt"),
      "tls-server-cert-file": join(certs, "member.crt"),
      "tls-server-key-file": join(certs, "member.key"),
      "tls-server-auth": `repository=${STANZA}`,
      "lock-path": join(member.dir, "pgbackrest-lock"),
      // archive-push compresses on the member
      "compress-type": "zst",
      ...logging,
    },
    [STANZA]: {
      "pg1-path": join(member.dir, "data"),
      "pg1-port": member.pgPort,
      "pg1-socket-path": member.dir,
    },
  });
}

beforeAll(async () => {
  // Archiving fails until the configurations, the servers and the stanza exist: PostgreSQL retries.
  ha = await startPatroni({ parameters: archiving });
  const members: MemberPlace[] = ha.postgres.members.map((m) => ({
    name: m.name,
    dir: dirname(m.dataDir),
    pgPort: m.pgPort,
  }));
  // ports picked now, not before the cluster's own
  repoPort = await freePort();
  const tlsPorts: number[] = [];
  for (const member of members) {
    memberConfig(member);
    tlsPorts.push(await freePort());
  }

  // Every process runs on this machine: one name for the repository and the members, told apart by port.
  const made = run([
    "bash",
    join(import.meta.dir, "../generate-pgbackrest-certs.sh"),
    "--out",
    certs,
    "--ca-dir",
    join(ha.dir, "ca"),
    "--repository",
    "localhost",
    "--member",
    "localhost",
  ]);
  if (made.code !== 0) throw new Error(made.err);
  if (isRoot) run(["chown", "-R", "postgres:postgres", certs]);
  mkdirSync(repository, { mode: 0o750 });
  if (isRoot) run(["chown", "postgres:postgres", repository]);
  repoConf = join(ha.dir, "repository.conf");
  writeConf(repoConf, {
    global: {
      "repo1-path": repository,
      "repo1-retention-full": 2,
      "compress-type": "zst",
      "start-fast": "y",
      // the files come from a standby, only the start and stop of the backup from the primary
      "backup-standby": "y",
      "tls-server-address": "localhost",
      "tls-server-port": repoPort,
      "tls-server-ca-file": join(certs, "ca.crt"),
      "tls-server-cert-file": join(certs, "repository.crt"),
      "tls-server-key-file": join(certs, "repository.key"),
      "tls-server-auth": `member=${STANZA}`,
      "lock-path": join(ha.dir, "repository-lock"),
      ...logging,
    },
    [STANZA]: Object.fromEntries(
      members.flatMap((member, i) =>
        Object.entries({
          host: "localhost",
          "host-type": "tls",
          "host-port": tlsPorts[i] ?? 0,
          "host-ca-file": join(certs, "ca.crt"),
          "host-cert-file": join(certs, "repository.crt"),
          "host-key-file": join(certs, "repository.key"),
          path: join(member.dir, "data"),
          port: member.pgPort,
          "socket-path": member.dir,
        }).map(([key, value]) => [`pg${i + 1}-${key}`, value]),
      ),
    ),
  });
  await serve(repoConf, "repository", repoPort);
  for (const [i, member] of members.entries()) await serve(confOf(member), member.name, tlsPorts[i] ?? 0);
});

afterAll(async () => {
  await restored?.stop();
  await ha?.stop();
});

function notes(url: string): string[] {
  const out = psql(url, "SELECT string_agg(id || ':' || body, '|' ORDER BY id) FROM notes");
  return out === "" ? [] : out.split("|");
}

describe("one repository for the whole cluster", () => {
  let target = "";
  let lost: PatroniMember;

  test("stanza-create and check from the repository host, then a full backup (files from a standby)", () => {
    pgbackrest(repoConf, "stanza-create");
    pgbackrest(repoConf, "check");
    primary("CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)");
    primary("INSERT INTO notes VALUES (1, 'before the backup')");
    const started = performance.now();
    pgbackrest(repoConf, "--type=full", "backup");
    console.log(
      `cluster backup: full backup from a standby in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const info = JSON.parse(pgbackrest(repoConf, "--output=json", "info").trim()) as {
      status: { code: number };
      backup: { type: string }[];
    }[];
    expect(info[0]?.status.code).toBe(0);
    expect(info[0]?.backup.map((b) => b.type)).toEqual(["full"]);
  });

  // Its pgBackRest server stays: with a member's server unreachable the repository host's check and
  // backup fail (pgBackRest 2.45 connects to every pgN-host; docs/swarm.md, Backups)
  test("the primary is lost (Patroni and postmaster, kill -9): a standby takes over on a new timeline", async () => {
    primary("INSERT INTO notes VALUES (2, 'after the backup, first timeline')");
    lost = await ha.postgres.leader();
    const before = (await ha.postgres.view()).find((m) => m.name === lost.name) as unknown as {
      timeline: number;
    };
    const postmaster = lost.postmasterPid();
    process.kill(lost.patroni.pid, "SIGKILL");
    if (postmaster) process.kill(postmaster, "SIGKILL");
    // the lost leader's key lives until its TTL runs out
    await waitFor(
      async () =>
        (await ha.postgres.view()).some(
          (m) => m.role === "leader" && m.state === "running" && m.name !== lost.name,
        ),
      "a standby to take over",
      90_000,
    );
    await ha.postgres.healthy(2);
    const leader = await ha.postgres.leader();
    const after = (await ha.postgres.view()).find((m) => m.name === leader.name) as unknown as {
      timeline: number;
    };
    expect(after.timeline).toBeGreaterThan(before.timeline);
  });

  test("writes on the new primary; archiving goes on: pgbackrest check from the repository host and from the new primary", async () => {
    primary("INSERT INTO notes VALUES (3, 'new timeline')");
    primary("INSERT INTO notes VALUES (4, 'new timeline, just before the target')");
    target = now();
    // the target must fall strictly between two commits
    await waitFor(async () => now() > target, "the clock to move past the target");
    primary("INSERT INTO notes VALUES (5, 'after the target')");
    primary("DELETE FROM notes WHERE id = 1");
    const leader = await ha.postgres.leader();
    pgbackrest(repoConf, "check");
    pgbackrest(memberConf.get(leader.name) ?? "", "check");
    expect(notes(ha.postgres.url("postgres"))).toEqual([
      "2:after the backup, first timeline",
      "3:new timeline",
      "4:new timeline, just before the target",
      "5:after the target",
    ]);
  });

  test("restore to the target into a fresh data directory: exactly the rows committed before it", async () => {
    const leader = await ha.postgres.leader();
    // pg4 beside the members: ha.stop() ends its postmaster like theirs
    const data = join(ha.dir, "pg4", "data");
    mkdirSync(join(ha.dir, "pg4"), { mode: 0o700 });
    if (isRoot) run(["chown", "postgres:postgres", join(ha.dir, "pg4")]);
    const started = performance.now();
    // on a member's host (restore runs where the data directory is), from the one repository; the copy
    // must not archive into the cluster's stanza
    pgbackrest(
      memberConf.get(leader.name) ?? "",
      `--pg1-path=${data}`,
      "--type=time",
      `--target=${target}`,
      "--target-action=promote",
      "--archive-mode=off",
      "restore",
    );
    const port = await freePort();
    const socketDir = join(ha.dir, "pg4");
    const server = ha.launch(
      "pg4",
      [
        join(postgresBinDir() ?? "", "postgres"),
        "-D",
        data,
        "-c",
        `port=${port}`,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        `unix_socket_directories=${socketDir}`,
        // Patroni's postgresql.conf came with the files: its own pg_hba and no synchronous standby here
        "-c",
        `hba_file=${join(data, "pg_hba.conf")}`,
        "-c",
        `ident_file=${join(data, "pg_ident.conf")}`,
        "-c",
        "synchronous_standby_names=",
      ],
      { asPostgres: true },
    );
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitFor(
      async () => {
        if (server.exitCode !== null) throw new Error(`the restored server exited:\n${ha.logs(30)}`);
        return run(["psql", "-X", "-At", "-d", url, "-c", "SELECT pg_is_in_recovery()"]).out.trim() === "f";
      },
      "the restored server to reach the target and promote",
      120_000,
    );
    console.log(
      `cluster backup: restore to a point after the failover, promoted in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(notes(url)).toEqual([
      "1:before the backup",
      "2:after the backup, first timeline",
      "3:new timeline",
      "4:new timeline, just before the target",
    ]);
    expect(psql(url, "SHOW archive_mode")).toBe("off");
    psql(url, "CHECKPOINT");
    // the cluster was on timeline 2 at the target; the restored copy promoted onto a new one
    expect(Number(psql(url, "SELECT timeline_id FROM pg_control_checkpoint()"))).toBeGreaterThan(2);
    psql(url, "INSERT INTO notes VALUES (6, 'the restored copy takes writes')");
  });

  test("restore the cluster = Patroni bootstraps a new one from the repository at the target; its standby is cloned from it; it archives on", async () => {
    // docs/runbooks.md, Swarm: point-in-time recovery: the cluster stops, its state in etcd goes (here:
    // a new etcd), the first member restores as Patroni's bootstrap, the others start empty
    const ended = (m: PatroniMember) => m.patroni.exitCode !== null || m.patroni.signalCode !== null;
    for (const member of ha.postgres.members) if (!ended(member)) member.patroni.kill("SIGTERM");
    await waitFor(
      async () => ha.postgres.members.every((m) => ended(m) && m.postmasterPid() === undefined),
      "the old cluster to stop",
      60_000,
    );
    const started = performance.now();
    restored = await startPatroni({
      members: 2,
      parameters: (member) => {
        memberConfig(member);
        return archiving(member);
      },
      // db/patroni/entrypoint.sh with BACKUP_RESTORE_TO renders the same method
      bootstrap: (member) => ({
        method: "pgbackrest",
        pgbackrest: {
          command: `pgbackrest --config=${confOf(member)} --stanza=${STANZA} --type=time "--target=${target}" --target-action=promote restore`,
          keep_existing_recoveryconf: true,
          no_params: true,
          // Patroni starts the restored member in recovery with these (recovery.signal) until it promotes
          recovery_conf: {
            restore_command: `pgbackrest --config=${confOf(member)} --stanza=${STANZA} archive-get %f "%p"`,
            recovery_target_time: target,
            recovery_target_action: "promote",
            recovery_target_timeline: "latest",
          },
        },
      }),
    });
    console.log(
      `cluster backup: a two-member cluster bootstrapped from the repository at the target in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    const before = [
      "1:before the backup",
      "2:after the backup, first timeline",
      "3:new timeline",
      "4:new timeline, just before the target",
    ];
    const leader = await restored.postgres.leader();
    const standby = restored.postgres.members.find((m) => m !== leader) as PatroniMember;
    expect(notes(restored.postgres.url("postgres"))).toEqual(before);
    const timeline = (await restored.postgres.view()).find((m) => m.name === leader.name) as unknown as {
      timeline: number;
    };
    expect(timeline.timeline).toBeGreaterThan(2);
    psql(restored.postgres.url("postgres"), "INSERT INTO notes VALUES (7, 'after the restore')");
    // synchronous replication: the commit is on the standby too
    expect(notes(`postgres://postgres@127.0.0.1:${standby.pgPort}/postgres`)).toEqual([
      ...before,
      "7:after the restore",
    ]);
    pgbackrest(memberConf.get(leader.name) ?? "", "check");
  });
});
