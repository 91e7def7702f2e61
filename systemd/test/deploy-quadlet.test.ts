// systemd/deploy-quadlet.sh without Podman or systemd: a fake `podman` on PATH stands in for the engine.
// Needs only bun, bash and coreutils/gzip.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, systemdDir } from "./quadlet-lib.ts";

const TIMEOUT = 30_000; // bash + forks on a busy shared machine

const script = join(systemdDir, "deploy-quadlet.sh");
let work = "";
let fakeBin = "";

function run(args: string[], extraEnv: Record<string, string> = {}) {
  const proc = Bun.spawnSync(["bash", script, ...args], {
    env: { PATH: `${fakeBin}:${process.env.PATH ?? "/usr/bin:/bin"}`, HOME: work, ...extraEnv },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: proc.exitCode, out: proc.stdout.toString(), err: proc.stderr.toString() };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "tp-deploy-quadlet-"));
  fakeBin = join(work, "bin");
  mkdirSync(fakeBin);
  // fake podman: `podman exec <ctr> pg_dump ...` prints a dump and records the call
  writeFileSync(
    join(fakeBin, "podman"),
    `#!/usr/bin/env bash\nprintf '%s\\n' "$*" >>"${work}/podman.calls"\nif [[ "$1" == exec ]]; then echo "-- fake dump of $2"; echo "CREATE TABLE t (id int);"; fi\n`,
  );
  chmodSync(join(fakeBin, "podman"), 0o755);
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
      const api = readFileSync(join(out, "api.container"), "utf8");
      expect(api).toContain("Environment=DATABASE_URL=postgres://alice@postgres:5432/tasks");
      expect(api).toContain("Image=localhost/taskplatform-api:v9");
      expect(api).toContain("Environment=LOG_LEVEL=info");
      expect(readFileSync(join(out, "proxy.container"), "utf8")).toContain("PublishPort=0.0.0.0:8080:8080");
      expect(readFileSync(join(out, "redis.container"), "utf8")).toBe(
        readFileSync(join(systemdDir, "redis.container"), "utf8"),
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
    "backup: gzip'd pg_dump from the postgres container, rotated to BACKUP_RETENTION",
    () => {
      const backups = join(work, "backups");
      mkdirSync(backups);
      for (const day of ["01", "02", "03", "04"])
        writeFileSync(join(backups, `taskplatform-202001${day}T000000Z.sql.gz`), "");
      writeFileSync(join(backups, "unrelated.txt"), "keep me");
      const envFile = join(work, "backup.env");
      writeFileSync(
        envFile,
        `POSTGRES_USER=tp\nPOSTGRES_DB=tpdb\nBACKUP_DIR=${backups}\nBACKUP_RETENTION=3\n`,
      );
      const result = run(["backup"], { TP_ENV_FILE: envFile });
      expect(result.err).toContain("backup: done");
      expect(result.code).toBe(0);
      const files = readdirSync(backups).sort();
      expect(files).toHaveLength(4);
      expect(files).toContain("unrelated.txt");
      expect(files).toContain("taskplatform-20200104T000000Z.sql.gz");
      expect(files).toContain("taskplatform-20200103T000000Z.sql.gz");
      expect(files).not.toContain("taskplatform-20200102T000000Z.sql.gz");
      const fresh = files.find(
        (f) => /^taskplatform-2\d{7}T\d{6}Z\.sql\.gz$/.test(f) && !f.startsWith("taskplatform-2020"),
      );
      expect(fresh).toBeDefined();
      const dump = new TextDecoder().decode(Bun.gunzipSync(readFileSync(join(backups, fresh as string))));
      expect(dump).toContain("fake dump of taskplatform-postgres");
      const calls = readFileSync(join(work, "podman.calls"), "utf8");
      expect(calls).toContain("exec taskplatform-postgres pg_dump -U tp -d tpdb");
      expect(existsSync(join(repoRoot, "backups", fresh as string))).toBe(false);
    },
    TIMEOUT,
  );
});
