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
// its input or says recovery ended, pgbackrest info prints the JSON the test wrote) and systemctl (records
// calls, every unit is active).
const FAKE_PODMAN = `#!/usr/bin/env bash
printf '%s\\n' "$*" >>"$FAKE_DIR/calls"
[[ "$1" == exec ]] || exit 0
shift
[[ "$1" == -i ]] && shift
ctr=$1 tool=$2
case "$tool" in
  pg_dump) echo "PGDMP fake archive of $ctr" ;;
  pg_restore) if [[ "$3" == --list ]]; then cat >/dev/null; echo "; 1 TABLE public schema_migrations tp"; else cat; fi ;;
  psql) if [[ "$*" == *pg_is_in_recovery* ]]; then echo f; else cat >"$FAKE_DIR/psql.input"; fi ;;
  pgbackrest) [[ "$*" != *"--output=json info"* ]] || cat "$FAKE_DIR/pgbackrest-info.json" ;;
esac
`;
const FAKE_SYSTEMCTL = `#!/usr/bin/env bash
printf 'systemctl %s\\n' "$*" >>"$FAKE_DIR/calls"
[[ "$2" == is-active ]] && echo active
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
      for (const c of ["install", "status", "logs", "uninstall [--purge]", "render", "backup", "restore"]) {
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
