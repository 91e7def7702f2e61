// systemd/deploy-quadlet.sh without Podman or systemd: a fake `podman` on PATH stands in for the engine.
// Needs only bun, bash and coreutils/gzip.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemdDir } from "./quadlet-lib.ts";

const TIMEOUT = 30_000; // bash + forks on a busy shared machine

const script = join(systemdDir, "deploy-quadlet.sh");
let work = "";
let fakeBin = "";

function run(args: string[], extraEnv: Record<string, string> = {}) {
  const proc = Bun.spawnSync(["bash", script, ...args], {
    env: {
      PATH: `${fakeBin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOME: work,
      FAKE_DIR: work,
      ...extraEnv,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: proc.exitCode, out: proc.stdout.toString(), err: proc.stderr.toString() };
}

// Fakes on PATH: podman (pg_dump prints an "archive", pg_restore --list a table of contents, psql records
// its input or says recovery ended, pgbackrest info prints the JSON the test wrote; for upgrade: container
// taskplatform-api-N has address 10.89.0.N on the frontend network and runs the image its installed
// unit names, whose healthcheck fails when a file broken-TAG exists; the proxy's log is the file
// proxy-log; nginx -t fails when a file nginx-refuses exists) and systemctl (records calls, every unit is
// active unless a file inactive-UNIT exists).
const FAKE_PODMAN = `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_DIR/calls"
case "$1" in
  inspect)
    ctr=\${4:-}
    n=\${ctr##*-}; [[ "$n" =~ ^[0-9]+$ ]] || n=1
    case "$3" in
      *Networks*) echo "systemd-taskplatform-backend 10.89.1.$n"; echo "systemd-taskplatform-frontend 10.89.0.$n" ;;
      *health-exec*) echo "/app/taskplatform-api healthcheck" ;;
      *State.Status*) echo running ;;
      "{{.Image}}") echo sha256:old ;;
    esac
    exit 0 ;;
  logs) cat "$FAKE_DIR/proxy-log" 2>/dev/null; exit 0 ;;
  exec) ;;
  *) exit 0 ;;
esac
shift
[[ "$1" == -i ]] && shift
ctr=$1 tool=$2
case "$tool" in
  pg_dump) echo "PGDMP fake archive of $ctr" ;;
  pg_restore) if [[ "$3" == --list ]]; then cat >/dev/null; echo "; 1 TABLE public schema_migrations tp"; else cat; fi ;;
  psql) if [[ "$*" == *pg_is_in_recovery* ]]; then echo f; else cat >"$FAKE_DIR/psql.input"; fi ;;
  pgbackrest) [[ "$*" != *"--output=json info"* ]] || cat "$FAKE_DIR/pgbackrest-info.json" ;;
  /app/taskplatform-api) [[ ! -e "$FAKE_DIR/broken-$(sed -n 's/^Image=.*://p' "$HOME/.config/containers/systemd/$ctr.container")" ]] ;;
  nginx) [[ ! -e "$FAKE_DIR/nginx-refuses" ]] ;;
esac
`;
const FAKE_SYSTEMCTL = `#!/usr/bin/env bash
printf 'systemctl %s\\n' "$*" >>"$FAKE_DIR/calls"
if [[ "$2" == is-active ]]; then
  if [[ -e "$FAKE_DIR/inactive-$3" ]]; then echo inactive; exit 3; fi
  echo active
fi
exit 0
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "tp-deploy-quadlet-"));
  fakeBin = join(work, "bin");
  mkdirSync(fakeBin);
  writeFileSync(join(fakeBin, "podman"), FAKE_PODMAN);
  writeFileSync(join(fakeBin, "systemctl"), FAKE_SYSTEMCTL);
  chmodSync(join(fakeBin, "podman"), 0o755);
  chmodSync(join(fakeBin, "systemctl"), 0o755);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("deploy-quadlet.sh", () => {
  test(
    "--help lists every command; unknown commands exit 2",
    () => {
      const help = run(["--help"]);
      expect(help.code).toBe(0);
      for (const c of [
        "install",
        "status",
        "logs",
        "uninstall [--purge]",
        "render",
        "backup",
        "restore",
        "upgrade [--image TAG]",
      ]) {
        expect(help.out).toContain(c);
      }
      expect(help.out).toContain("loginctl enable-linger");
      expect(run(["frobnicate"]).code).toBe(2);
    },
    TIMEOUT,
  );

  test(
    "render fails loudly when .env lacks a value a unit needs",
    () => {
      const envFile = join(work, "partial.env");
      writeFileSync(envFile, "POSTGRES_DB=taskplatform\n");
      const result = run(["render", join(work, "out-partial"), "--env-file", envFile]);
      expect(result.code).toBe(1);
      expect(result.err).toContain("POSTGRES_USER");
    },
    TIMEOUT,
  );

  test(
    "render takes values from the env file and keeps defaults for unset ones",
    () => {
      const envFile = join(work, "custom.env");
      writeFileSync(envFile, "POSTGRES_USER=alice\nPOSTGRES_DB=tasks\nHTTP_PORT=8080\nTP_IMAGE_TAG=v9\n");
      const out = join(work, "out-custom");
      expect(run(["render", out, "--env-file", envFile]).code).toBe(0);
      const api = readFileSync(join(out, "taskplatform-api.container"), "utf8");
      expect(api).toContain("Environment=DATABASE_URL=postgres://alice@postgres:5432/tasks");
      expect(api).toContain("Image=localhost/taskplatform-api:v9");
      expect(api).toContain("Environment=LOG_LEVEL=info");
      expect(readFileSync(join(out, "taskplatform-proxy.container"), "utf8")).toContain(
        "PublishPort=0.0.0.0:8080:8080",
      );
      expect(readFileSync(join(out, "taskplatform-redis.container"), "utf8")).toBe(
        readFileSync(join(systemdDir, "taskplatform-redis.container"), "utf8"),
      );
    },
    TIMEOUT,
  );

  test(
    "install refuses to run as root (rootless units)",
    () => {
      if (process.getuid?.() !== 0) return;
      const result = run(["install"]);
      expect(result.code).toBe(1);
      expect(result.err).toContain("not root");
    },
    TIMEOUT,
  );

  test(
    "backup: pg_dump -Fc archive + .sha256 like scripts/backup.sh, rotated to BACKUP_RETENTION",
    () => {
      const backups = join(work, "backups");
      mkdirSync(backups);
      for (const day of ["01", "02", "03", "04"]) {
        writeFileSync(join(backups, `taskplatform-tpdb-202001${day}T000000Z.dump`), "old");
        writeFileSync(join(backups, `taskplatform-tpdb-202001${day}T000000Z.dump.sha256`), "x");
      }
      writeFileSync(join(backups, "unrelated.txt"), "keep me");
      const envFile = join(work, "backup.env");
      writeFileSync(
        envFile,
        `POSTGRES_USER=tp\nPOSTGRES_DB=tpdb\nBACKUP_DIR=${backups}\nBACKUP_RETENTION=3\nBACKUP_METRICS_DIR=${work}/metrics\n`,
      );
      const result = run(["backup"], { TP_ENV_FILE: envFile });
      expect(result.err).toContain("backup: done");
      expect(result.code).toBe(0);
      const archives = readdirSync(backups)
        .filter((f) => f.endsWith(".dump"))
        .sort();
      expect(archives).toHaveLength(3);
      expect(archives.slice(0, 2)).toEqual([
        "taskplatform-tpdb-20200103T000000Z.dump",
        "taskplatform-tpdb-20200104T000000Z.dump",
      ]);
      expect(readdirSync(backups)).toContain("unrelated.txt");
      expect(readdirSync(backups)).not.toContain("taskplatform-tpdb-20200102T000000Z.dump.sha256");
      const fresh = archives[2] as string;
      expect(fresh).toMatch(/^taskplatform-tpdb-\d{8}T\d{6}Z\.dump$/);
      expect(readFileSync(join(backups, fresh), "utf8")).toContain(
        "PGDMP fake archive of taskplatform-postgres",
      );
      const sum = new Bun.CryptoHasher("sha256").update(readFileSync(join(backups, fresh))).digest("hex");
      expect(readFileSync(join(backups, `${fresh}.sha256`), "utf8")).toBe(`${sum}  ${fresh}\n`);
      const calls = readFileSync(join(work, "calls"), "utf8");
      expect(calls).toContain(
        "exec -i taskplatform-postgres pg_dump -Fc --no-owner --no-privileges -U tp -d tpdb",
      );
      expect(calls).toContain("exec -i taskplatform-postgres pg_restore --list");
      // then the pgBackRest backup for point-in-time recovery, and both successes as metrics
      expect(calls).toContain("exec -i taskplatform-postgres pgbackrest --stanza=taskplatform stanza-create");
      expect(calls).toMatch(
        /exec -i taskplatform-postgres pgbackrest --stanza=taskplatform --type=(full|diff) backup/,
      );
      expect(readdirSync(join(work, "metrics")).sort()).toEqual([
        "taskplatform_backup_pg_dump.prom",
        "taskplatform_backup_pgbackrest.prom",
      ]);
    },
    TIMEOUT,
  );

  test(
    "restore: refuses a bad checksum; else stops api/proxy, loads in one transaction, restarts",
    () => {
      const envFile = join(work, "backup.env");
      const archive = join(work, "taskplatform-tpdb-20240101T000000Z.dump");
      writeFileSync(archive, "PGDMP archive body\n");
      writeFileSync(`${archive}.sha256`, `${"0".repeat(64)}  x.dump\n`);
      const refused = run(["restore", archive], { TP_ENV_FILE: envFile });
      expect(refused.code).toBe(1);
      expect(refused.err).toContain("REFUSED: checksum mismatch");

      const sum = new Bun.CryptoHasher("sha256").update(readFileSync(archive)).digest("hex");
      writeFileSync(`${archive}.sha256`, `${sum}  taskplatform-tpdb-20240101T000000Z.dump\n`);
      writeFileSync(join(work, "calls"), "");
      const result = run(["restore", archive], { TP_ENV_FILE: envFile });
      expect(result.err).toContain("restore: done");
      expect(result.code).toBe(0);
      const calls = readFileSync(join(work, "calls"), "utf8").split("\n");
      const stop = calls.indexOf(
        "systemctl --user stop taskplatform-proxy.service taskplatform-api.service taskplatform-api-2.service",
      );
      const psql = calls.findIndex((c) => c.includes("psql -X -q -v ON_ERROR_STOP=1 -U tp -d tpdb"));
      const start = calls.indexOf("systemctl --user start taskplatform.target");
      expect(stop).toBeGreaterThanOrEqual(0);
      expect(psql).toBeGreaterThan(stop);
      expect(start).toBeGreaterThan(psql);
      const sql = readFileSync(join(work, "psql.input"), "utf8");
      expect(sql.startsWith("BEGIN;\nDROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n")).toBe(
        true,
      );
      expect(sql).toContain("PGDMP archive body");
      expect(sql.endsWith("COMMIT;\n")).toBe(true);
    },
    TIMEOUT,
  );

  test(
    "restore --to: checks first (a future time stops nothing), then api/proxy and postgres down, pgBackRest restore in a one-off container on the volumes, started, promoted",
    () => {
      const envFile = join(work, "backup.env");
      const stop = Date.parse("2025-12-31T03:00:00Z") / 1000;
      writeFileSync(
        join(work, "pgbackrest-info.json"),
        JSON.stringify([
          {
            name: "taskplatform",
            status: { code: 0, message: "ok" },
            backup: [{ label: "20251231-030000F", timestamp: { start: stop - 60, stop } }],
          },
        ]),
      );
      writeFileSync(join(work, "calls"), "");
      const future = run(["restore", "--to", "2999-01-01 00:00:00+00"], { TP_ENV_FILE: envFile });
      expect(future.code).toBe(1);
      expect(future.err).toContain("is in the future");
      expect(readFileSync(join(work, "calls"), "utf8")).not.toContain("stop");

      const result = run(["restore", "--to", "2026-01-01 00:00:00+00"], { TP_ENV_FILE: envFile });
      expect(result.err).toContain("restore: done");
      expect(result.code).toBe(0);
      const calls = readFileSync(join(work, "calls"), "utf8").trim().split("\n");
      const order = [
        "exec -i taskplatform-postgres pgbackrest --stanza=taskplatform --output=json info",
        "exec -i taskplatform-postgres pgbackrest --stanza=taskplatform check",
        "systemctl --user stop taskplatform-proxy.service taskplatform-api.service taskplatform-api-2.service taskplatform-postgres.service",
        "run --rm -i --user postgres --read-only --tmpfs /tmp -e PGBACKREST_STANZA=taskplatform -e PGBACKREST_PG1_USER=tp -v systemd-taskplatform-postgres_data:/var/lib/postgresql/data -v systemd-taskplatform-pgbackrest_repo:/var/lib/pgbackrest localhost/taskplatform-db:latest pgbackrest --stanza=taskplatform --delta --type=time --target=2026-01-01 00:00:00.000000+00 --target-action=promote restore",
        "systemctl --user start taskplatform-postgres.service",
        "exec -i taskplatform-postgres psql -U tp -d tpdb -X -At -c SELECT pg_is_in_recovery()",
        "systemctl --user start taskplatform.target",
      ];
      expect(order.filter((call) => !calls.includes(call))).toEqual([]);
      const at = order.map((call) => calls.indexOf(call));
      expect(at).toEqual([...at].sort((a, b) => a - b));
    },
    TIMEOUT,
  );
});

describe("deploy-quadlet.sh upgrade (fake podman + systemctl)", () => {
  const quadletDir = () => join(work, ".config/containers/systemd");
  const address = (ctr: string) => `10.89.0.${ctr.match(/-(\d+)$/)?.[1] ?? "1"}:4000`;

  /** Installed units for API_REPLICAS replicas on TP_IMAGE_TAG=v1, a fresh call log, no broken image. */
  function scene(replicas: number, proxyLog = "") {
    const envFile = join(work, "upgrade.env");
    writeFileSync(envFile, `POSTGRES_USER=tp\nPOSTGRES_DB=tpdb\nTP_IMAGE_TAG=v1\nAPI_REPLICAS=${replicas}\n`);
    rmSync(quadletDir(), { recursive: true, force: true });
    expect(run(["render", quadletDir(), "--env-file", envFile]).code).toBe(0);
    for (const f of readdirSync(work))
      if (/^(broken-|inactive-|nginx-refuses)/.test(f)) rmSync(join(work, f));
    writeFileSync(join(work, "proxy-log"), proxyLog);
    writeFileSync(join(work, "calls"), "");
    return (args: string[]) => run(["upgrade", ...args], { TP_ENV_FILE: envFile });
  }

  const calls = () => readFileSync(join(work, "calls"), "utf8").trim().split("\n");
  const imageOf = (ctr: string) =>
    readFileSync(join(quadletDir(), `${ctr}.container`), "utf8").match(/^Image=(.*)$/m)?.[1];

  /**
   * Replays the call log: which replicas the proxy sends to (API_UPSTREAM addresses; api:4000 = every
   * replica) and which are stopped, checking at every stop that the proxy no longer sends to it and
   * that never more than one replica is out. Returns the steps of each replica in order.
   */
  function replay(replicas: string[]) {
    let upstream = new Set(replicas);
    const stopped = new Set<string>();
    const steps: string[] = [];
    for (const call of calls()) {
      const render = call.match(/API_UPSTREAM=(.*) taskplatform-proxy taskplatform-proxy-entrypoint$/);
      if (render) {
        const list = (render[1] ?? "").split(" ");
        upstream = new Set(
          list[0] === "api:4000" ? replicas : replicas.filter((r) => list.includes(address(r))),
        );
        expect(upstream.size).toBeGreaterThan(0);
        steps.push(`upstream ${[...upstream].join(",")}`);
        continue;
      }
      const unit = call.match(/^systemctl --user (stop|start) (taskplatform-api(?:-\d+)?)\.service$/);
      if (unit) {
        const verb = unit[1];
        const ctr = unit[2] ?? "";
        if (verb === "stop") {
          expect(upstream.has(ctr)).toBe(false);
          stopped.add(ctr);
        } else stopped.delete(ctr);
        expect(stopped.size).toBeLessThanOrEqual(1);
        expect(replicas.filter((r) => !stopped.has(r)).length).toBeGreaterThan(0);
        steps.push(`${verb} ${ctr}`);
        continue;
      }
      const health = call.match(/^exec (taskplatform-api(?:-\d+)?) \/app\/taskplatform-api healthcheck$/);
      if (health && steps.at(-1) !== `check ${health[1]}`) steps.push(`check ${health[1]}`);
    }
    return steps;
  }

  const replicas = ["taskplatform-api", "taskplatform-api-2", "taskplatform-api-3"];
  const oneByOne = (names: string[]) =>
    names.flatMap((ctr) => [
      `upstream ${replicas.filter((r) => r !== ctr).join(",")}`,
      `stop ${ctr}`,
      `start ${ctr}`,
      `check ${ctr}`,
      `upstream ${replicas.join(",")}`,
    ]);

  test(
    "happy path: one replica at a time out of the upstream, stopped, started on the new image, healthy, back in",
    () => {
      const upgrade = scene(3);
      const result = upgrade(["--image", "v2", "--canary", "0"]);
      expect(result.err).toContain("upgraded: 3 replica(s) run localhost/taskplatform-api:v2");
      expect(result.code).toBe(0);
      expect(replay(replicas)).toEqual(oneByOne(replicas));
      for (const ctr of replicas) expect(imageOf(ctr)).toBe("localhost/taskplatform-api:v2");
      // the unit is pointed at the new image between stop and start (daemon-reload), nothing built or tagged
      const log = calls();
      const stop = log.indexOf("systemctl --user stop taskplatform-api-2.service");
      expect(log.indexOf("systemctl --user daemon-reload", stop)).toBeGreaterThan(stop);
      expect(log.indexOf("systemctl --user daemon-reload", stop)).toBeLessThan(
        log.indexOf("systemctl --user start taskplatform-api-2.service"),
      );
      expect(log.filter((c) => /^(build|tag) /.test(c))).toEqual([]);
      expect(result.err).toContain("set TP_IMAGE_TAG=v2 in .env");
    },
    TIMEOUT,
  );

  test(
    "without --image: builds the api image under TP_IMAGE_TAG before any replica stops; the units keep their tag",
    () => {
      const result = scene(2)(["--canary", "0"]);
      expect(result.code).toBe(0);
      const log = calls();
      const build = log.findIndex((c) => c.startsWith("build --quiet -t localhost/taskplatform-api:v1 -f "));
      expect(build).toBeGreaterThanOrEqual(0);
      expect(build).toBeLessThan(log.indexOf("systemctl --user stop taskplatform-api.service"));
      expect(imageOf("taskplatform-api-2")).toBe("localhost/taskplatform-api:v1");
      expect(result.err).not.toContain("set TP_IMAGE_TAG");
    },
    TIMEOUT,
  );

  test(
    "the new image fails its healthcheck: previous image back, the replica restarted on it, upstream restored, exit 3",
    () => {
      const upgrade = scene(3);
      writeFileSync(join(work, "broken-v2"), "");
      const result = upgrade(["--image", "v2", "--canary", "0", "--timeout", "0"]);
      expect(result.code).toBe(3);
      expect(result.err).toContain("ROLLING BACK: new replica taskplatform-api not healthy after 0s");
      expect(result.err).toContain("rolled back: the 3 replica(s) run localhost/taskplatform-api:v1");
      // only the first replica was touched: out, stop, start on v2 (unhealthy), then the same on v1
      expect(replay(replicas)).toEqual([
        "upstream taskplatform-api-2,taskplatform-api-3",
        "stop taskplatform-api",
        "start taskplatform-api",
        "check taskplatform-api",
        ...oneByOne(["taskplatform-api"]),
        `upstream ${replicas.join(",")}`,
      ]);
      for (const ctr of replicas) expect(imageOf(ctr)).toBe("localhost/taskplatform-api:v1");
      expect(calls()).toContain("tag sha256:old localhost/taskplatform-api:v1");
    },
    TIMEOUT,
  );

  test(
    "too many 5xx from a replaced replica in its canary: every replaced replica back on the previous image, exit 3",
    () => {
      const line = (status: number, ctr: string) =>
        `{"msg":"access","status":${status},"upstreamAddr":"10.89.0.9:4000, ${address(ctr)}"}\n`;
      const proxyLog = line(200, "taskplatform-api").repeat(99) + line(502, "taskplatform-api-2").repeat(10);
      const upgrade = scene(3, proxyLog + line(200, "taskplatform-api-2").repeat(10));
      const result = upgrade(["--image", "v2", "--canary", "0", "--max-5xx", "0.1"]);
      expect(result.code).toBe(3);
      expect(result.err).toContain("taskplatform-api: canary passed (99 answers, 0 5xx)");
      expect(result.err).toContain(
        "ROLLING BACK: 10 of 20 answers of taskplatform-api-2 were 5xx (more than 0.1)",
      );
      // api and api-2 went to v2; rolled back in reverse order, api-3 never touched
      expect(replay(replicas)).toEqual([
        ...oneByOne(["taskplatform-api", "taskplatform-api-2", "taskplatform-api-2", "taskplatform-api"]),
        `upstream ${replicas.join(",")}`,
      ]);
      for (const ctr of replicas) expect(imageOf(ctr)).toBe("localhost/taskplatform-api:v1");
    },
    TIMEOUT,
  );

  test(
    "nothing is stopped when the proxy refuses the upstream (exit 3) or a unit is not active (exit 1)",
    () => {
      let upgrade = scene(2);
      writeFileSync(join(work, "nginx-refuses"), "");
      const refused = upgrade(["--image", "v2", "--canary", "0"]);
      expect(refused.code).toBe(3);
      expect(refused.err).toContain(
        "ROLLING BACK: the proxy did not accept the upstream without taskplatform-api",
      );
      expect(calls().filter((c) => /^systemctl --user (stop|start) /.test(c))).toEqual([]);
      expect(imageOf("taskplatform-api")).toBe("localhost/taskplatform-api:v1");

      upgrade = scene(2);
      writeFileSync(join(work, "inactive-taskplatform-api-2.service"), "");
      const inactive = upgrade(["--image", "v2"]);
      expect(inactive.code).toBe(1);
      expect(inactive.err).toContain("taskplatform-api-2.service is not active");
      expect(calls().filter((c) => !c.includes(" is-active "))).toEqual([]);
    },
    TIMEOUT,
  );

  test(
    "--dry-run prints the plan and touches nothing; bad options and a single replica are refused",
    () => {
      const upgrade = scene(2);
      const dry = upgrade(["--dry-run", "--image", "v2"]);
      expect(dry.code).toBe(0);
      expect(dry.err).toContain("one at a time: taskplatform-api taskplatform-api-2");
      expect(dry.err).toContain("start it on localhost/taskplatform-api:v2");
      expect(readFileSync(join(work, "calls"), "utf8")).toBe("");
      expect(imageOf("taskplatform-api")).toBe("localhost/taskplatform-api:v1");
      for (const [args, message] of [
        [["--image", "v2;rm -rf ~"], "--image must be an image tag"],
        [["--max-5xx", "1.5"], "--max-5xx must be a ratio"],
        [["--timeout", "-1"], "take seconds"],
        [["--frobnicate"], "unknown option: --frobnicate"],
      ] as const) {
        const result = upgrade([...args]);
        expect(result.code).toBe(1);
        expect(result.err).toContain(message);
      }
      const single = scene(1)(["--image", "v2"]);
      expect(single.code).toBe(1);
      expect(single.err).toContain("needs API_REPLICAS >= 2");
      expect(readFileSync(join(work, "calls"), "utf8")).toBe("");
    },
    TIMEOUT,
  );
});
