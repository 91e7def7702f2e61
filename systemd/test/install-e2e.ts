// deploy-quadlet.sh install / uninstall end to end against fakes of podman, systemctl, loginctl and the
// Quadlet generator, in a throwaway copy of the repository and a throwaway $HOME. Runs as an unprivileged
// user (nobody, when the test runs as root): install refuses root. Needs only bun, bash and coreutils.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  cpSync,
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

// processes (terraform, shellcheck, bash) are slow on a loaded shared machine
setDefaultTimeout(120_000);

const TIMEOUT = 120_000; // a few hundred forks: slow on a loaded machine
const isRoot = process.getuid?.() === 0;
let work = "";
let root = "";
let home = "";
let bin = "";

const FAKES: Record<string, string> = {
  podman: `case "$1" in
  version) echo "\${FAKE_PODMAN_VERSION:-5.2.3}" ;;
  info) echo v2 ;;
  secret) if [[ "$2" == create ]]; then cat "\${@: -1}" >/dev/null; fi ;;
esac`,
  systemctl: `case "$*" in
  --version) echo "systemd 256 (256.1)" ;;
  *is-active*) echo active ;;
esac`,
  loginctl: `echo no`,
  quadlet: `ls "$QUADLET_UNIT_DIRS" >"$FAKE_DIR/generator-saw"`,
  journalctl: `exit 0`,
};

function calls(): string[] {
  const file = join(work, "calls");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

function run(args: string[], extra: Record<string, string> = {}) {
  writeFileSync(join(work, "calls"), "");
  chmodSync(join(work, "calls"), 0o666); // the fakes run as the unprivileged user
  const env = {
    PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    FAKE_DIR: work,
    QUADLET_GENERATOR: join(bin, "quadlet"),
    DEPLOY_TIMEOUT: "5",
    ...extra,
  };
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const cmd = ["env", "-i", ...envArgs, "bash", join(root, "systemd", "deploy-quadlet.sh"), ...args];
  const proc = Bun.spawnSync(isRoot ? ["runuser", "-u", "nobody", "--", ...cmd] : cmd, {
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: proc.exitCode, out: proc.stdout.toString() + proc.stderr.toString(), calls: calls() };
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "tp-install-"));
  chmodSync(work, 0o777);
  root = join(work, "repo");
  home = join(work, "home");
  bin = join(work, "bin");
  for (const dir of [
    root,
    home,
    bin,
    join(root, "scripts"),
    join(root, "secrets", "tls"),
    join(root, "api"),
    join(root, "proxy"),
    join(root, "db"),
  ]) {
    mkdirSync(dir, { recursive: true });
  }
  cpSync(systemdDir, join(root, "systemd"), { recursive: true, filter: (src) => !src.includes("/test") });
  cpSync(join(repoRoot, "scripts", "lib.sh"), join(root, "scripts", "lib.sh"));
  cpSync(join(repoRoot, "scripts", "lib"), join(root, "scripts", "lib"), { recursive: true });
  cpSync(join(repoRoot, ".env.example"), join(root, ".env"));
  for (const s of [
    "db_password",
    "redis_password",
    "jwt_secret",
    "smtp_url",
    "grafana_admin_password",
    "tls/server.crt",
    "tls/server.key",
  ]) {
    writeFileSync(join(root, "secrets", s), `secret ${s}\n`);
  }
  writeFileSync(join(root, "api", "Containerfile"), "FROM scratch\n");
  writeFileSync(join(root, "proxy", "Containerfile"), "FROM scratch\n");
  writeFileSync(join(root, "db", "Containerfile"), "FROM scratch\n");
  for (const [name, body] of Object.entries(FAKES)) {
    writeFileSync(
      join(bin, name),
      `#!/usr/bin/env bash\nprintf '%s %s\\n' "${name}" "$*" >>"$FAKE_DIR/calls"\n${body}\n`,
    );
    chmodSync(join(bin, name), 0o755);
  }
  if (isRoot) Bun.spawnSync(["chown", "-R", "nobody", work]);
}, TIMEOUT);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("deploy-quadlet.sh install/uninstall (fakes)", () => {
  test(
    "install: builds, creates secrets, checks with the generator, installs, enables, starts, waits, reminds",
    () => {
      const result = run(["install"]);
      expect(result.out).toContain("all services healthy");
      expect(result.code).toBe(0);
      const c = result.calls;
      const index = (prefix: string) => c.findIndex((line) => line.startsWith(prefix));
      expect(c).toContain(
        `podman build --quiet -t localhost/taskplatform-api:latest -f ${root}/api/Containerfile ${root}`,
      );
      expect(c).toContain(
        `podman build --quiet -t localhost/taskplatform-proxy:latest -f ${root}/proxy/Containerfile ${root}`,
      );
      expect(c).toContain(
        `podman build --quiet -t localhost/taskplatform-db:latest -f ${root}/db/Containerfile ${root}`,
      );
      for (const s of ["db_password", "redis_password", "jwt_secret", "smtp_url", "grafana_admin_password"]) {
        expect(c).toContain(`podman secret create --replace taskplatform-${s} ${root}/secrets/${s}`);
      }
      expect(c).toContain(
        `podman secret create --replace taskplatform-tls_cert ${root}/secrets/tls/server.crt`,
      );
      expect(index("quadlet -user -dryrun")).toBeGreaterThan(index("podman secret create"));
      const reload = index("systemctl --user daemon-reload");
      const enable = index("systemctl --user enable taskplatform.target taskplatform-backup.timer");
      const start = index("systemctl --user start taskplatform.target");
      expect(reload).toBeGreaterThan(index("quadlet -user -dryrun"));
      expect(enable).toBeGreaterThan(reload);
      expect(start).toBeGreaterThan(enable);
      expect(c.some((l) => l === "systemctl --user is-active taskplatform-api-2.service")).toBe(true);
      expect(result.out).toContain("sudo loginctl enable-linger");

      const quadletDir = join(home, ".config", "containers", "systemd");
      const userDir = join(home, ".config", "systemd", "user");
      const installed = readdirSync(quadletDir).sort();
      expect(installed).toContain("taskplatform-api.container");
      expect(installed).toContain("taskplatform-api-2.container");
      expect(installed).toContain("taskplatform-backend.network");
      expect(installed).toContain("taskplatform-postgres_data.volume");
      expect(installed.some((f) => f.endsWith(".target") || f.endsWith(".timer"))).toBe(false);
      expect(readdirSync(userDir).sort()).toEqual([
        "taskplatform-backup.service",
        "taskplatform-backup.timer",
        "taskplatform.target",
        "taskplatform.target.d",
      ]);
      expect(readFileSync(join(quadletDir, "taskplatform-api.container"), "utf8")).toContain(
        "Environment=DATABASE_URL=postgres://taskplatform@postgres:5432/taskplatform",
      );
      expect(readFileSync(join(userDir, "taskplatform-backup.service"), "utf8")).toContain(
        `ExecStart=${root}/systemd/deploy-quadlet.sh backup`,
      );
      expect(readFileSync(join(work, "generator-saw"), "utf8")).toContain("taskplatform-api.container");
    },
    TIMEOUT,
  );

  test(
    "install with fewer API_REPLICAS stops and removes the surplus replica",
    () => {
      const envFile = join(root, ".env");
      writeFileSync(envFile, readFileSync(envFile, "utf8").replace(/^API_REPLICAS=.*$/m, "API_REPLICAS=1"));
      if (isRoot) Bun.spawnSync(["chown", "nobody", envFile]);
      const result = run(["install", "--no-build"]);
      expect(result.code).toBe(0);
      expect(result.calls).toContain("systemctl --user stop taskplatform-api-2.service");
      expect(readdirSync(join(home, ".config", "containers", "systemd"))).not.toContain(
        "taskplatform-api-2.container",
      );
      expect(result.calls.some((l) => l.startsWith("podman build"))).toBe(false);
    },
    TIMEOUT,
  );

  test(
    "uninstall keeps the volumes; --purge removes them",
    () => {
      const keep = run(["uninstall"]);
      expect(keep.code).toBe(0);
      expect(keep.out).toContain("volumes kept");
      expect(keep.calls).toContain("systemctl --user stop taskplatform.target taskplatform-backup.timer");
      expect(keep.calls).toContain("podman secret rm taskplatform-db_password");
      expect(keep.calls.some((l) => l.startsWith("podman volume rm"))).toBe(false);
      expect(readdirSync(join(home, ".config", "containers", "systemd"))).toEqual([]);
      expect(readdirSync(join(home, ".config", "systemd", "user"))).toEqual([]);

      const purge = run(["uninstall", "--purge"]);
      expect(purge.code).toBe(0);
      expect(purge.calls).toContain("podman volume rm --force systemd-taskplatform-postgres_data");
    },
    TIMEOUT,
  );

  test(
    "install refuses a Podman older than 5.0 and points to compose",
    () => {
      const result = run(["install"], { FAKE_PODMAN_VERSION: "4.9.3" });
      expect(result.code).toBe(1);
      expect(result.out).toContain("podman 4.9.3 is too old");
      expect(result.out).toContain("scripts/deploy.sh");
      expect(result.calls.some((l) => l.startsWith("systemctl --user start"))).toBe(false);
    },
    TIMEOUT,
  );
});
