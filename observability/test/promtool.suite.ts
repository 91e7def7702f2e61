// The official checkers on the monitoring configuration (Debian's packages):
// promtool check config / check rules / test rules, amtool check-config and routing, blackbox-exporter
// --config.check, yamllint.
// Run: bun test ./observability/test/promtool.suite.ts
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OBS, RULES_DIR } from "./support.ts";

// Each test runs promtool, amtool or yamllint: a second or two of CPU, many more on a loaded machine.
setDefaultTimeout(60_000);

function run(cmd: string[], cwd = OBS): { code: number; out: string } {
  const bin = Bun.which(cmd[0] as string);
  if (!bin) throw new Error(`${cmd[0]} not found: apt-get install the packages in .ci/apt-packages`);
  const r = Bun.spawnSync([bin, ...cmd.slice(1)], { cwd, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString() + r.stderr.toString() };
}

const ruleFiles = readdirSync(RULES_DIR)
  .filter((f) => f.endsWith(".yml"))
  .map((f) => join(RULES_DIR, f));
const testFiles = readdirSync(join(OBS, "prometheus", "tests"))
  .filter((f) => f.endsWith(".yml"))
  .map((f) => join(OBS, "prometheus", "tests", f));

describe("promtool", () => {
  test("check config: prometheus.yml, with its rule_files pointed at the repository's rules", () => {
    const dir = mkdtempSync(join(tmpdir(), "tp-promtool-"));
    try {
      const text = readFileSync(join(OBS, "prometheus", "prometheus.yml"), "utf8").replace(
        "/etc/prometheus/rules/*.yml",
        `${RULES_DIR}/*.yml`,
      );
      expect(text).toContain(RULES_DIR);
      writeFileSync(join(dir, "prometheus.yml"), text);
      const r = run(["promtool", "check", "config", join(dir, "prometheus.yml")]);
      expect(r.out).toContain("SUCCESS");
      expect(r.out).toContain(`${ruleFiles.length} rule files found`);
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("check config: the file as shipped (rules path inside the container)", () => {
    const r = run([
      "promtool",
      "check",
      "config",
      "--syntax-only",
      join(OBS, "prometheus", "prometheus.yml"),
    ]);
    expect({ code: r.code, out: r.out }).toMatchObject({ code: 0 });
  });

  test("check rules: every rule file", () => {
    const r = run(["promtool", "check", "rules", ...ruleFiles]);
    expect({ code: r.code, out: r.out }).toMatchObject({ code: 0 });
    expect(r.out).not.toContain("FAILED");
  });

  test("test rules: every alert's firing and non-firing cases", () => {
    const r = run(["promtool", "test", "rules", ...testFiles], join(OBS, "prometheus", "tests"));
    expect({ code: r.code, out: r.out }).toMatchObject({ code: 0 });
    expect(r.out.match(/SUCCESS/g)?.length).toBe(testFiles.length);
  }, 180_000);
});

describe("alertmanager", () => {
  test("amtool check-config: alertmanager.yml and the notifying example", () => {
    const r = run([
      "amtool",
      "check-config",
      join(OBS, "alertmanager", "alertmanager.yml"),
      join(OBS, "alertmanager", "examples", "notify.yml"),
    ]);
    expect({ code: r.code, out: r.out }).toMatchObject({ code: 0 });
  });

  const routes: [string[], string][] = [
    [["alertname=ApiDown", "severity=critical"], "page"],
    [["alertname=HostDiskFull", "severity=warning"], "ticket"],
    [["alertname=Watchdog", "severity=none"], "heartbeat"],
    [["alertname=Something", "severity=info"], "null"],
  ];
  for (const [labels, receiver] of routes) {
    test(`routes ${labels.join(" ")} to ${receiver}`, () => {
      for (const file of ["alertmanager.yml", "examples/notify.yml"]) {
        const r = run([
          "amtool",
          "config",
          "routes",
          "test",
          `--config.file=${join(OBS, "alertmanager", file)}`,
          ...labels,
        ]);
        expect({
          file,
          out: r.out
            .split("\n")
            .filter((l) => !l.startsWith("Warning"))
            .join("")
            .trim(),
        }).toEqual({
          file,
          out: receiver,
        });
      }
    });
  }
});

describe("other configuration", () => {
  test("blackbox-exporter accepts blackbox.yml", () => {
    const r = run([
      "prometheus-blackbox-exporter",
      "--config.check",
      `--config.file=${join(OBS, "blackbox", "blackbox.yml")}`,
    ]);
    expect({ code: r.code, out: r.out }).toMatchObject({ code: 0 });
  });

  test("yamllint: every YAML file under observability/", () => {
    const r = run(["yamllint", "--strict", "-c", join(OBS, ".yamllint"), OBS]);
    expect({ code: r.code, out: r.out }).toEqual({ code: 0, out: "" });
  });
});
