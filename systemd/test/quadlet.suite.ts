// Heavier checks of systemd/: shellcheck on the scripts and systemd's own parser over the units.
// Debian's podman 4.3 has no Quadlet generator, so Quadlet's keys are checked by the allow-list in
// quadlet.test.ts; on a Podman >= 5.0 host, `/usr/libexec/podman/quadlet -user -dryrun` is the manual check.
// Run: bun test ./systemd/test/quadlet.suite.ts   (needs shellcheck; .ci/apt-packages lists it)
// Also runs install-e2e.ts: deploy-quadlet.sh install/uninstall end to end against fakes.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseUnit, renderUnits, systemdDir } from "./quadlet-lib.ts";
// install/uninstall end to end with fakes: its tests register here, in this suite
import "./install-e2e.ts";

// processes (terraform, shellcheck, bash) are slow on a loaded shared machine
setDefaultTimeout(120_000);

let renderDir = "";

beforeAll(() => {
  renderDir = renderUnits("tp-quadlet-suite-");
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

  // systemd's own parser over everything systemd (not Quadlet) reads: the target, the backup service and
  // timer, and the [Unit]/[Service]/[Install] sections Quadlet copies into each generated service (stubbed
  // with ExecStart=/bin/true). Unknown keys, bad values and dangling dependencies are reported.
  test("systemd-analyze verify accepts the systemd parts of every unit", () => {
    if (!Bun.which("systemd-analyze"))
      throw new Error("systemd-analyze is not installed (apt-get install systemd)");
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
  }, 120_000);
});
