// Heavier checks of systemd/: shellcheck on the scripts, and — where a Quadlet generator of the minimum
// version (or newer) is installed — a real `quadlet -dryrun` over the rendered units.
// Run: bun test ./systemd/test/quadlet.suite.ts   (needs shellcheck; .ci/apt-packages lists it)
// Also runs install-e2e.ts: deploy-quadlet.sh install/uninstall end to end against fakes.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
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
import { MIN_PODMAN, parseUnit, repoRoot, systemdDir } from "./quadlet-lib.ts";
// install/uninstall end to end with fakes: its tests register here, in this suite
import "./install-e2e.ts";

// processes (terraform, shellcheck, bash) are slow on a loaded shared machine
setDefaultTimeout(120_000);

const generator = ["/usr/libexec/podman/quadlet", "/usr/lib/podman/quadlet"].find((p) => existsSync(p));

function podmanVersion(): string | undefined {
  if (!Bun.which("podman")) return undefined;
  const proc = Bun.spawnSync(["podman", "--version"], { stdout: "pipe", stderr: "pipe" });
  return proc.stdout.toString().match(/(\d+\.\d+(?:\.\d+)?)/)?.[1];
}

function atLeast(version: string | undefined, min: string): boolean {
  if (!version) return false;
  const [a = 0, b = 0] = version.split(".").map(Number);
  const [c = 0, d = 0] = min.split(".").map(Number);
  return a > c || (a === c && b >= d);
}

const version = podmanVersion();
const canDryRun = generator !== undefined && atLeast(version, MIN_PODMAN);
let renderDir = "";

beforeAll(() => {
  renderDir = mkdtempSync(join(tmpdir(), "tp-quadlet-suite-"));
  const proc = Bun.spawnSync(
    [
      "bash",
      join(systemdDir, "deploy-quadlet.sh"),
      "render",
      renderDir,
      "--env-file",
      join(repoRoot, ".env.example"),
    ],
    { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: renderDir }, stdout: "pipe", stderr: "pipe" },
  );
  if (proc.exitCode !== 0) throw new Error(`render failed: ${proc.stderr.toString()}`);
}, 30_000);

afterAll(() => {
  if (renderDir) rmSync(renderDir, { recursive: true, force: true });
});

describe("systemd/ scripts", () => {
  test("shellcheck systemd/deploy-quadlet.sh", () => {
    if (!Bun.which("shellcheck")) throw new Error("shellcheck is not installed (apt-get install shellcheck)");
    const proc = Bun.spawnSync(
      ["shellcheck", "-x", "--severity=style", join(systemdDir, "deploy-quadlet.sh")],
      {
        cwd: systemdDir,
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    expect(proc.stdout.toString() + proc.stderr.toString()).toBe("");
    expect(proc.exitCode).toBe(0);
  }, 30_000);

  // Debian bookworm ships podman 4.3 (no Quadlet at all); the allow-list test in quadlet.test.ts is the
  // check there. On a host with Podman >= MIN_PODMAN this runs the real generator.
  test.skipIf(!canDryRun)(
    `quadlet -dryrun accepts every unit (Podman >= ${MIN_PODMAN})`,
    () => {
      const proc = Bun.spawnSync([generator as string, "-user", "-dryrun"], {
        env: { ...process.env, QUADLET_UNIT_DIRS: renderDir },
        stdout: "pipe",
        stderr: "pipe",
      });
      const out = proc.stdout.toString();
      expect(proc.stderr.toString()).not.toMatch(/unsupported key|error/i);
      expect(proc.exitCode).toBe(0);
      for (const service of ["postgres", "redis", "api", "proxy"])
        expect(out).toContain(`---taskplatform-${service}.service---`);
      expect(out).toContain("--sdnotify=healthy");
    },
    30_000,
  );

  // systemd's own parser over everything systemd (not Quadlet) reads: the target, the backup service and
  // timer, and the [Unit]/[Service]/[Install] sections Quadlet copies into each generated service (stubbed
  // with ExecStart=/bin/true). Unknown keys, bad values and dangling dependencies are reported.
  test.skipIf(!Bun.which("systemd-analyze"))(
    "systemd-analyze verify accepts the systemd parts of every unit",
    () => {
      const dir = join(renderDir, "verify");
      const runtime = join(renderDir, "xdg-runtime");
      mkdirSync(dir);
      mkdirSync(runtime);
      chmodSync(runtime, 0o700);
      const files: string[] = [];
      for (const name of readdirSync(renderDir)) {
        const path = join(renderDir, name);
        if (name.endsWith(".container")) {
          const unit = parseUnit(readFileSync(path, "utf8"), path);
          const section = (title: string, extra: string[] = []) => {
            const entries = (unit.sections.get(title) ?? []).map((e) => `${e.key}=${e.value}`);
            return [`[${title}]`, ...extra, ...entries].join("\n");
          };
          const parts = [
            section("Unit"),
            section("Service", ["Type=notify", "NotifyAccess=all", "ExecStart=/bin/true"]),
          ];
          if (unit.sections.has("Install")) parts.push(section("Install"));
          const service = name.replace(/\.container$/, ".service");
          writeFileSync(join(dir, service), `${parts.join("\n\n")}\n`);
          files.push(service);
        } else if (/\.(target|service|timer)$/.test(name)) {
          writeFileSync(join(dir, name), readFileSync(path));
          files.push(name);
        }
      }
      const proc = Bun.spawnSync(
        ["systemd-analyze", "verify", "--man=no", "--user", ...files.map((f) => `./${f}`)],
        {
          cwd: dir,
          env: { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_COLOR: "0" },
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      expect(proc.stdout.toString() + proc.stderr.toString()).toBe("");
      expect(proc.exitCode).toBe(0);
    },
    120_000,
  );
});
