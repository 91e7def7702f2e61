// cloud/tp (the host command the EC2 bootstrap installs) against fake podman/docker, curl, journalctl and a
// fake application directory. Needs only bun and bash.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const tp = resolve(import.meta.dir, "..", "tp");
const isRoot = process.getuid?.() === 0;
const TIMEOUT = 30_000;
const user = Bun.spawnSync(["id", "-un"]).stdout.toString().trim();
let work = "";
let bin = "";
let appDir = "";

function fake(name: string, body: string) {
  writeFileSync(
    join(bin, name),
    `#!/usr/bin/env bash\nprintf '%s %s\\n' "${name}" "$*" >>"$FAKE_DIR/calls"\n${body}\n`,
  );
  chmodSync(join(bin, name), 0o755);
}

function writeEnv(mode: "quadlet" | "compose", engine = "podman"): string {
  const file = join(work, `tp-${mode}-${engine}.env`);
  writeFileSync(file, `TP_USER=${user}\nTP_DIR=${appDir}\nTP_MODE=${mode}\nTP_ENGINE=${engine}\n`);
  return file;
}

function tpRun(args: string[], envFile: string, extra: Record<string, string> = {}) {
  writeFileSync(join(work, "calls"), "");
  const proc = Bun.spawnSync(["bash", tp, ...args], {
    env: {
      PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      FAKE_DIR: work,
      TP_ENV_FILE: envFile,
      ...extra,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  return {
    code: proc.exitCode,
    out: proc.stdout.toString() + proc.stderr.toString(),
    calls: readFileSync(join(work, "calls"), "utf8"),
  };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "tp-host-"));
  bin = join(work, "bin");
  appDir = join(work, "app");
  mkdirSync(bin);
  mkdirSync(join(appDir, "scripts"), { recursive: true });
  mkdirSync(join(appDir, "systemd"), { recursive: true });
  writeFileSync(join(appDir, ".env"), "API_REPLICAS=3\n");
  for (const script of ["scripts/backup.sh", "scripts/restore.sh", "systemd/deploy-quadlet.sh"]) {
    writeFileSync(
      join(appDir, script),
      `#!/usr/bin/env bash\nprintf '%s %s\\n' "${script}" "$*" >>"$FAKE_DIR/calls"\n`,
    );
    chmodSync(join(appDir, script), 0o755);
  }
  // podman/docker ps: the statuses come from $FAKE_PS; curl fails when $FAKE_CURL_FAIL is set
  const engine = `case "$1" in
  ps) if [[ "$*" == *"-q"* ]]; then echo c1; echo c2; else printf '%b' "$FAKE_PS"; fi ;;
  inspect) echo "/taskplatform-api-$RANDOM" ;;
  logs) echo "log line" ;;
esac`;
  fake("podman", engine);
  fake("docker", engine);
  fake("curl", `[[ -z "\${FAKE_CURL_FAIL:-}" ]]`);
  fake("journalctl", "exit 0");
  fake("systemctl", "exit 0");
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("tp", () => {
  test(
    "health: exit 0 only when every container is healthy and both endpoints answer",
    () => {
      const env = writeEnv("quadlet");
      const good =
        "taskplatform-api\\tUp 2 minutes (healthy)\\ntaskplatform-proxy\\tUp 2 minutes (healthy)\\n";
      const ok = tpRun(["health"], env, { FAKE_PS: good });
      expect(ok.out).toContain("all healthy");
      expect(ok.code).toBe(0);
      expect(ok.calls).toContain("curl -fsS --max-time 5 -o /dev/null http://127.0.0.1/healthz");
      expect(ok.calls).toContain("curl -fsSk --max-time 5 -o /dev/null https://127.0.0.1/api/ready");

      const sick = tpRun(["health"], env, {
        FAKE_PS: `${good}taskplatform-redis\\tUp 1 minute (unhealthy)\\n`,
      });
      expect(sick.code).toBe(1);
      expect(sick.out).toMatch(/taskplatform-redis\s+unhealthy/);

      const down = tpRun(["health"], env, { FAKE_PS: good, FAKE_CURL_FAIL: "1" });
      expect(down.code).toBe(1);
      expect(down.out).toMatch(/https:\/\/127\.0\.0\.1\/api\/ready\s+FAILED/);
    },
    TIMEOUT,
  );

  test(
    "logs api (quadlet): journald of every API replica unit",
    () => {
      const result = tpRun(["logs", "api", "-n", "50"], writeEnv("quadlet"));
      expect(result.code).toBe(0);
      const call = result.calls.split("\n").find((l) => l.startsWith("journalctl")) ?? "";
      for (const unit of [
        "taskplatform-api.service",
        "taskplatform-api-2.service",
        "taskplatform-api-3.service",
      ]) {
        expect(call).toContain(unit);
      }
      expect(call).toContain("--lines 50");
      if (isRoot) expect(call).toContain(`_UID=${process.getuid?.()}`);
      else expect(call).toContain("--user");
    },
    TIMEOUT,
  );

  test(
    "logs (compose, docker): every container of the service",
    () => {
      const result = tpRun(["logs", "api", "-n", "5"], writeEnv("compose", "docker"));
      expect(result.code).toBe(0);
      expect(result.calls).toContain("docker ps -q --filter label=com.docker.compose.service=api");
      expect(result.calls).toContain("docker logs --tail 5 c1");
      expect(result.calls).toContain("docker logs --tail 5 c2");
    },
    TIMEOUT,
  );

  test(
    "backup: the timer's service under quadlet, scripts/backup.sh under compose",
    () => {
      expect(tpRun(["backup"], writeEnv("quadlet")).calls).toContain(
        "systemctl --user start --wait taskplatform-backup.service",
      );
      expect(tpRun(["backup"], writeEnv("compose")).calls).toContain("scripts/backup.sh");
    },
    TIMEOUT,
  );

  test(
    "restore: hands the archive and its checksum to the deployment's restore",
    () => {
      const archive = join(work, "taskplatform-tp-20240101T000000Z.dump");
      writeFileSync(archive, "PGDMP");
      writeFileSync(`${archive}.sha256`, "x");
      const quadlet = tpRun(["restore", archive], writeEnv("quadlet"));
      expect(quadlet.code).toBe(0);
      expect(quadlet.calls).toMatch(
        /systemd\/deploy-quadlet\.sh restore \S*taskplatform-tp-20240101T000000Z\.dump/,
      );
      const compose = tpRun(["restore", archive], writeEnv("compose"));
      expect(compose.calls).toMatch(/scripts\/restore\.sh --yes \S*taskplatform-tp-20240101T000000Z\.dump/);
      expect(tpRun(["restore", join(work, "missing.dump")], writeEnv("quadlet")).code).toBe(1);
    },
    TIMEOUT,
  );

  test(
    "rejects bad input: unknown command (2), odd service names, a broken env file",
    () => {
      expect(tpRun(["frobnicate"], writeEnv("quadlet")).code).toBe(2);
      const bad = tpRun(["logs", "../../etc/passwd"], writeEnv("quadlet"));
      expect(bad.code).toBe(1);
      expect(bad.out).toContain("invalid service name");
      const envFile = join(work, "broken.env");
      writeFileSync(envFile, `TP_USER=${user}\nTP_DIR=${appDir}\nTP_MODE=quadlet\nTP_ENGINE=lxc\n`);
      expect(tpRun(["status"], envFile).out).toContain("TP_ENGINE must be podman or docker");
    },
    TIMEOUT,
  );
});
