// The GitHub Actions workflows, the Renovate configuration and scripts/scan.sh, checked offline (this
// machine reaches neither GitHub nor a vulnerability database):
//   - the workflows parse as YAML, pass yamllint, pin every action to a full commit SHA with a version
//     comment, keep least-privilege permissions, and run only scripts that exist in the repository;
//   - ci.yml runs exactly the suites of .ci/suites (and the drift check fails when either side changes);
//   - scan.sh is shellcheck-clean, has --help, exits non-zero with install advice without Trivy, lists
//     every image of compose.yaml and every FROM of the Containerfiles, and drives a fake trivy right;
//   - the lockfile is committed and every install uses it frozen.
// Run: bun test ./scripts/test/github.suite.ts   (needs yamllint and shellcheck on PATH)
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { driftProblems, parseSuites, STACK_TEST_COMMAND, syncWorkflow } from "../../.github/sync-suites.ts";

setDefaultTimeout(120_000);

const root = join(import.meta.dir, "../..");
const wfDir = join(root, ".github/workflows");
const workflowFiles = readdirSync(wfDir).filter((f) => /\.ya?ml$/.test(f));
const read = (p: string) => readFileSync(join(root, p), "utf8");
const cleanup: string[] = [];
afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML
type Any = any;
const workflows: Record<string, Any> = {};
for (const f of workflowFiles) workflows[f] = Bun.YAML.parse(read(`.github/workflows/${f}`));

function steps(wf: Any): { job: string; step: Any }[] {
  return Object.entries(wf.jobs ?? {}).flatMap(([job, def]: [string, Any]) =>
    (def.steps ?? []).map((step: Any) => ({ job, step })),
  );
}

function run(cmd: string[], env: Record<string, string> = {}, cwd = root) {
  const res = Bun.spawnSync(cmd, {
    cwd,
    env: { ...process.env, TP_ENV_FILE: "/nonexistent", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: res.exitCode, out: res.stdout.toString(), err: res.stderr.toString() };
}

describe("workflow files", () => {
  test("ci.yml and images.yml exist and parse as YAML with triggers and jobs", () => {
    expect(workflowFiles.sort()).toEqual(["ci.yml", "images.yml"]);
    for (const [file, wf] of Object.entries(workflows)) {
      expect(wf.name, file).toBeString();
      expect(wf.on, file).toBeDefined();
      expect(Object.keys(wf.jobs ?? {}).length, file).toBeGreaterThan(0);
      for (const [job, def] of Object.entries(wf.jobs) as [string, Any][]) {
        expect(def["runs-on"], `${file} ${job}`).toBeString();
        expect(def["timeout-minutes"], `${file} ${job} has a timeout`).toBeNumber();
        expect(def.steps.length, `${file} ${job}`).toBeGreaterThan(0);
      }
    }
  });

  test("yamllint (strict) passes on .github", () => {
    const res = run(["yamllint", "-s", "-c", ".github/yamllint.yml", ".github"]);
    expect(res.out + res.err).toBe("");
    expect(res.code).toBe(0);
  });

  test("every action is pinned to a full commit SHA with a version comment, the same one everywhere", () => {
    const pins = new Map<string, string>();
    let count = 0;
    for (const file of workflowFiles) {
      const lines = read(`.github/workflows/${file}`).split("\n");
      for (const line of lines) {
        const m = line.match(/^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/);
        if (!m) continue;
        count++;
        const [, ref, rest] = m;
        if (ref.startsWith("./")) continue;
        expect(ref, `${file}: ${line.trim()}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
        expect(rest, `${file}: ${line.trim()} names its release`).toMatch(/^\s+#\s*v?\d+\.\d+\.\d+\s*$/);
        const [action, sha] = ref.split("@");
        const pin = `${sha} ${rest.trim()}`;
        if (pins.has(action)) expect(pin, `${action} pinned the same way everywhere`).toBe(pins.get(action));
        pins.set(action, pin);
      }
    }
    // every `uses:` in the parsed workflows was seen by the line scan above
    const parsed = Object.values(workflows).flatMap((wf) => steps(wf).filter((s) => s.step.uses));
    expect(count).toBe(parsed.length);
    expect(count).toBeGreaterThan(5);
  });

  test("docs/security.md lists exactly the pinned actions, with the same commits and releases", () => {
    const documented = new Map<string, string>();
    for (const m of read("docs/security.md").matchAll(
      /^\| ([\w.-]+\/[\w.-]+) \| v?([\d.]+) \| `([0-9a-f]{40})`/gm,
    )) {
      documented.set(m[1], `${m[3]} ${m[2]}`);
    }
    const used = new Map<string, string>();
    for (const file of workflowFiles) {
      for (const m of read(`.github/workflows/${file}`).matchAll(
        /uses:\s*([\w.-]+\/[\w.-]+)@([0-9a-f]{40})\s+#\s*v?([\d.]+)/g,
      )) {
        used.set(m[1], `${m[2]} ${m[3]}`);
      }
    }
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(used));
  });

  test("least privilege: top-level contents: read; write scopes only where a job needs them", () => {
    const allowedWrites: Record<string, string[]> = { "images.yml publish": ["packages"] };
    for (const [file, wf] of Object.entries(workflows)) {
      expect(wf.permissions, file).toEqual({ contents: "read" });
      for (const [job, def] of Object.entries(wf.jobs) as [string, Any][]) {
        const perms = def.permissions ?? {};
        expect(typeof perms, `${file} ${job}: no read-all/write-all`).toBe("object");
        const writes = Object.entries(perms)
          .filter(([, v]) => v === "write")
          .map(([k]) => k);
        expect(writes, `${file} ${job}`).toEqual(allowedWrites[`${file} ${job}`] ?? []);
      }
    }
    expect(workflows["images.yml"].jobs.publish.if).toContain("refs/tags/v");
  });

  test("no pull_request_target, no event data expanded into shell, checkout keeps no credentials", () => {
    for (const [file, wf] of Object.entries(workflows)) {
      expect(Object.keys(wf.on), file).not.toContain("pull_request_target");
      for (const { job, step } of steps(wf)) {
        if (step.run)
          expect(step.run, `${file} ${job}: ${step.name}`).not.toMatch(/\$\{\{\s*github\.(event|head_ref)/);
        if (String(step.uses).startsWith("actions/checkout@")) {
          expect(step.with?.["persist-credentials"], `${file} ${job}`).toBe(false);
        }
      }
    }
  });

  test("every script, file and package.json script a workflow runs exists in the repository", () => {
    const checked: string[] = [];
    for (const [file, wf] of Object.entries(workflows)) {
      for (const { job, step } of steps(wf)) {
        const where = `${file} ${job}: ${step.name}`;
        for (const key of ["file", "containerfile"]) {
          const p = step.with?.[key];
          if (typeof p === "string" && !p.includes("${{")) {
            expect(existsSync(join(root, p)), `${where}: ${p}`).toBe(true);
          }
        }
        if (!step.run) continue;
        const text = String(step.run);
        for (const m of text.matchAll(
          /(?:^|[\s"'<(=])((?:\.\/)?(?:[\w.-]+\/)*[\w.-]+\.(?:sh|ts|js|tf|json))\b/g,
        )) {
          const p = m[1];
          expect(existsSync(join(root, p)), `${where}: ${p}`).toBe(true);
          checked.push(p);
        }
        for (const m of text.matchAll(/(?:^|\s)(\.ci\/[\w-]+)/g)) {
          expect(existsSync(join(root, m[1])), `${where}: ${m[1]}`).toBe(true);
          checked.push(m[1]);
        }
        for (const m of text.matchAll(/-chdir=(\S+)/g))
          expect(existsSync(join(root, m[1])), where).toBe(true);
        for (const m of text.matchAll(/\bbun run (?:--cwd[= ](\S+) )?([\w:-]+)/g)) {
          const dir = m[1] ?? ".";
          const scripts = Object.keys(JSON.parse(read(join(dir, "package.json"))).scripts ?? {});
          expect(scripts, `${where}: bun run ${m[2]} in ${dir}`).toContain(m[2]);
          checked.push(`bun run ${m[2]}`);
        }
      }
      for (const [job, def] of Object.entries(wf.jobs) as [string, Any][]) {
        for (const entry of def.strategy?.matrix?.include ?? []) {
          if (entry.containerfile)
            expect(existsSync(join(root, entry.containerfile)), `${file} ${job}`).toBe(true);
        }
      }
    }
    expect(checked).toContain("scripts/scan.sh");
    expect(checked).toContain(".ci/apt-packages");
  });
});

describe("ci.yml and .ci/suites", () => {
  const ci = read(".github/workflows/ci.yml");
  const suitesText = read(".ci/suites");

  test("ci.yml runs every suite of .ci/suites, with the same command, and nothing else", () => {
    expect(driftProblems(ci, suitesText)).toEqual([]);
    const suites = parseSuites(suitesText);
    expect(suites.length).toBeGreaterThan(5);
    const stepsByName = new Map(
      steps(workflows["ci.yml"])
        .filter((s) => String(s.step.name).startsWith("suite: "))
        .map((s) => [String(s.step.name).slice(7), s.step.run]),
    );
    for (const s of suites) expect(stepsByName.get(s.name), s.name).toBe(s.command);
    expect(stepsByName.size).toBe(suites.length);
  });

  test("the generated blocks are up to date (bun .github/sync-suites.ts changes nothing)", () => {
    expect(syncWorkflow(ci, parseSuites(suitesText))).toBe(ci);
  });

  test("drift is caught: a suite added to .ci/suites only", () => {
    const problems = driftProblems(ci, `${suitesText}\nnew suite|bun test ./new/thing.suite.ts\n`);
    expect(problems.join("\n")).toContain('suite "new suite"');
  });

  test("drift is caught: a suite step removed from ci.yml, or one added only there", () => {
    const suites = parseSuites(suitesText);
    const fewer = syncWorkflow(ci, suites.slice(0, -1));
    expect(driftProblems(fewer, suitesText).join("\n")).toContain(suites[suites.length - 1].name);
    const more = syncWorkflow(ci, [...suites, { name: "extra", command: "bun test ./extra.suite.ts" }]);
    expect(driftProblems(more, suitesText).join("\n")).toContain("extra");
  });

  test("drift is caught: a changed command, a different order", () => {
    const suites = parseSuites(suitesText);
    const changed = suites.map((s, i) => (i === 0 ? { ...s, command: `${s.command} --changed` } : s));
    expect(driftProblems(syncWorkflow(ci, changed), suitesText).join("\n")).toContain("--changed");
    const swapped = [suites[1], suites[0], ...suites.slice(2)];
    expect(driftProblems(syncWorkflow(ci, swapped), suitesText).join("\n")).toContain("order");
  });

  test("the container stack test runs on the runner's Docker with the real images, never stand-ins", () => {
    const stack = workflows["ci.yml"].jobs.stack;
    expect(stack.container).toBeUndefined();
    const runs = stack.steps.map((s: Any) => String(s.run ?? "")).join("\n");
    expect(runs).toContain(STACK_TEST_COMMAND);
    // every upstream reference pulled first, so stack-test.sh's stand-in builder finds them all present
    expect(runs).toContain("scripts/scan.sh --list");
    expect(runs).toContain("docker pull");
    expect(stack.env.STANDINS_BASE).toMatch(/^docker\.io\/library\/debian:/);
  });

  test("the suites job installs what .ci/run installs (.ci/apt-packages, bun, frozen lockfile)", () => {
    const job = workflows["ci.yml"].jobs.suites;
    const runs = job.steps.map((s: Any) => String(s.run ?? "")).join("\n");
    expect(runs).toContain(".ci/apt-packages");
    expect(runs).toContain("bun install --frozen-lockfile");
    expect(runs).toContain('"@types\\/bun"');
    expect(job.steps.some((s: Any) => String(s.uses).startsWith("oven-sh/setup-bun@"))).toBe(true);
  });

  test("suite steps run once their job's setup succeeded, and keep running after a failed suite", () => {
    for (const [jobName, def] of Object.entries(workflows["ci.yml"].jobs) as [string, Any][]) {
      const ids = def.steps.map((s: Any) => s.id).filter(Boolean);
      for (const s of def.steps.filter((x: Any) => /^(suite|github-only): /.test(String(x.name)))) {
        const m = String(s.if).match(/^\$\{\{ !cancelled\(\) && steps\.([\w-]+)\.outcome == 'success' \}\}$/);
        expect(m, `${jobName}: ${s.name}`).not.toBeNull();
        expect(ids, `${jobName}: ${s.name}`).toContain(m?.[1]);
      }
    }
  });
});

describe("images.yml", () => {
  const wf = workflows["images.yml"];

  test("builds both images from their Containerfiles and fails on HIGH/CRITICAL Trivy findings", () => {
    const files = wf.jobs["build-scan"].strategy.matrix.include.map((e: Any) => e.containerfile).sort();
    expect(files).toEqual(["api/Containerfile", "proxy/Containerfile"]);
    const scan = wf.jobs["build-scan"].steps.find((s: Any) =>
      String(s.uses).startsWith("aquasecurity/trivy-action@"),
    );
    expect(scan.with.severity).toBe("HIGH,CRITICAL");
    expect(String(scan.with["exit-code"])).toBe("1");
    expect(scan.with["ignore-unfixed"]).toBe(true);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a template
    expect(scan.with.version).toBe("${{ env.TRIVY_VERSION }}");
    expect(wf.env.TRIVY_VERSION).not.toBe("v0.69.4");
  });

  test("pushes to GHCR only on version tags, after the scan, with SBOM and provenance", () => {
    const publish = wf.jobs.publish;
    expect(publish.needs).toBe("build-scan");
    expect(publish.if).toContain("startsWith(github.ref, 'refs/tags/v')");
    const push = publish.steps.find((s: Any) => String(s.uses).startsWith("docker/build-push-action@"));
    expect(push.with.push).toBe(true);
    expect(push.with.sbom).toBe(true);
    expect(String(push.with.provenance)).toContain("mode=max");
    const login = publish.steps.find((s: Any) => String(s.uses).startsWith("docker/login-action@"));
    expect(login.with.registry).toBe("ghcr.io");
  });
});

describe("dependency hygiene", () => {
  test("Renovate (not Dependabot) covers npm/bun, images, GitHub Actions and Terraform providers", () => {
    expect(existsSync(join(root, ".github/dependabot.yml"))).toBe(false);
    const cfg = JSON.parse(read("renovate.json"));
    for (const m of ["bun", "dockerfile", "docker-compose", "github-actions", "terraform"]) {
      expect(cfg.enabledManagers).toContain(m);
    }
    expect(cfg.extends).toContain("helpers:pinGitHubActionDigests");
    for (const cm of cfg.customManagers) {
      for (const pattern of cm.managerFilePatterns) {
        const path = pattern.replace(/^\/\^?|\$?\/$/g, "").replace(/\\\./g, ".");
        expect(existsSync(join(root, path)), pattern).toBe(true);
      }
    }
  });

  test("bun.lock is committed", () => {
    const res = run(["git", "ls-files", "--error-unmatch", "bun.lock"]);
    expect(res.code, res.err).toBe(0);
  });

  test("every bun install uses the frozen lockfile (Containerfiles, scripts, .ci/run, workflows)", () => {
    const files = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"])
      .out.split("\n")
      .filter(
        (f) => /(Containerfile|Dockerfile|\.sh|\.ya?ml|^\.ci\/run)$/.test(f) && existsSync(join(root, f)),
      );
    const installs: string[] = [];
    for (const f of files) {
      for (const line of read(f).split("\n")) {
        if (/^\s*#/.test(line)) continue;
        if (/\bbun (install|i)\b/.test(line)) {
          installs.push(`${f}: ${line.trim()}`);
          expect(line, `${f}: ${line.trim()}`).toContain("--frozen-lockfile");
        }
      }
    }
    expect(installs.length).toBeGreaterThanOrEqual(3);
  });

  test(".trivyignore (if any) gives a reason for every entry", () => {
    if (!existsSync(join(root, ".trivyignore"))) return;
    const lines = read(".trivyignore").split("\n");
    lines.forEach((line, i) => {
      if (!line.trim() || line.startsWith("#")) return;
      expect(lines[i - 1] ?? "", `entry ${line} needs a "# reason" comment above it`).toMatch(/^#\s*\S/);
    });
  });
});

// ------------------------------------------------------------------------------------------------------
/** A PATH with the tools scan.sh needs and no trivy or container engine, plus `extra` fake commands. */
function fakePath(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "tp-scan-path-"));
  cleanup.push(dir);
  for (const tool of [
    "bash",
    "env",
    "awk",
    "sed",
    "grep",
    "find",
    "mktemp",
    "rm",
    "cat",
    "tr",
    "basename",
    "dirname",
    "head",
    "sort",
    "touch",
  ]) {
    const path = Bun.which(tool);
    if (path) symlinkSync(path, join(dir, tool));
  }
  for (const [name, body] of Object.entries(extra)) {
    writeFileSync(join(dir, name), `#!/usr/bin/env bash\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

/** What compose.yaml and the Containerfiles reference, parsed independently of scan.sh. */
function expectedImages(): string[] {
  const compose = Bun.YAML.parse(read("compose.yaml")) as Any;
  const interpolate = (s: string) =>
    s.replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g,
      (_, name, def) => process.env[name] ?? def ?? "",
    );
  const refs = Object.values(compose.services as Record<string, Any>).map((s) =>
    interpolate(String(s.image)),
  );
  for (const file of ["api/Containerfile", "proxy/Containerfile", "db/Containerfile"]) {
    const stages = new Set<string>();
    for (const line of read(file).split("\n")) {
      const m = line.match(/^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i);
      if (!m) continue;
      if (!stages.has(m[1].toLowerCase()) && m[1] !== "scratch") refs.push(m[1]);
      if (m[2]) stages.add(m[2].toLowerCase());
    }
  }
  return [...new Set(refs)];
}

describe("scripts/scan.sh", () => {
  const scan = join(root, "scripts/scan.sh");

  test("bash strict mode, executable, shellcheck-clean", () => {
    const text = read("scripts/scan.sh");
    expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(text).toContain("set -euo pipefail");
    expect(statSync(scan).mode & 0o111).not.toBe(0);
    const res = run(["shellcheck", "-x", "scripts/scan.sh"]);
    expect(res.out + res.err).toBe("");
    expect(res.code).toBe(0);
  });

  test("--help explains the scans; an unknown option is refused", () => {
    const help = run(["bash", scan, "--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: scripts/scan.sh");
    for (const word of ["trivy image", "trivy fs", "trivy config", "--list", ".trivyignore"]) {
      expect(help.out).toContain(word);
    }
    const bad = run(["bash", scan, "--nope"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown option");
  });

  test("without Trivy: says how to install it and exits non-zero", () => {
    const path = fakePath();
    const res = run(["bash", scan], { PATH: path, TP_ENGINE: "" });
    expect(res.code).toBe(3);
    expect(res.err).toContain("Trivy is not installed");
    expect(res.err).toContain("apt-get install trivy");
    expect(res.err).toContain("brew install trivy");
    expect(res.err).toContain("v0.69.4");
  });

  test("--list names every image of compose.yaml and every FROM of the Containerfiles, the lockfile and configs", () => {
    const res = run(["bash", scan, "--list"], { PATH: fakePath() });
    expect(res.code, res.err).toBe(0);
    const lines = res.out.trim().split("\n");
    const images = lines.filter((l) => l.startsWith("image ")).map((l) => l.split(" ")[1]);
    const expected = expectedImages();
    expect(expected.length).toBeGreaterThan(10);
    expect(images.sort()).toEqual(expected.sort());
    expect(lines).toContain("image localhost/taskplatform-api:latest project api/Containerfile(api)");
    expect(lines).toContain("image localhost/taskplatform-proxy:latest project proxy/Containerfile(proxy)");
    expect(lines).toContain("fs bun.lock");
    expect(lines).toContain("image localhost/taskplatform-db:latest project db/Containerfile(postgres)");
    for (const c of ["api/Containerfile", "proxy/Containerfile", "db/Containerfile", "cloud"])
      expect(lines).toContain(`config ${c}`);
  });

  test("--dry-run prints the trivy commands without Trivy installed", () => {
    const res = run(["bash", scan, "--dry-run", "--no-images"], { PATH: fakePath() });
    expect(res.code, res.err).toBe(0);
    expect(res.out).toContain(
      "trivy fs --scanners vuln --ignore-unfixed --severity HIGH,CRITICAL --exit-code 1",
    );
    expect(res.out).toContain("trivy config --severity HIGH,CRITICAL --exit-code 1 --no-progress cloud");
    expect(res.out).not.toContain("trivy image");
  });

  test("--list honours TP_IMAGE_TAG for the project's images (compose interpolation)", () => {
    const res = run(["bash", scan, "--list"], { PATH: fakePath(), TP_IMAGE_TAG: "1.2.3" });
    expect(res.out).toContain("image localhost/taskplatform-api:1.2.3 project");
    expect(res.out).not.toContain("taskplatform-api:latest");
  });

  test("with a (fake) trivy and engine: every target scanned with the right flags; one finding fails the run", () => {
    const log = join(mkdtempSync(join(tmpdir(), "tp-scan-log-")), "calls");
    cleanup.push(join(log, ".."));
    const path = fakePath({
      trivy: `printf '%s\\n' "$*" >>${JSON.stringify(log)}
case "$*" in *redis_exporter*) echo "HIGH CVE-0000-0001" ; exit 1 ;; esac
exit 0`,
      docker: `case "$1" in
  info) exit 0 ;;
  compose) exit 1 ;;
  image) case "$3" in localhost/*) exit 0 ;; *) exit 1 ;; esac ;;
  save) touch "$3"; exit 0 ;;
esac
exit 1`,
    });
    const res = run(["bash", scan], { PATH: path, TP_ENGINE: "docker" });
    expect(res.code, res.out + res.err).toBe(1);
    expect(res.out).toContain("FAIL image docker.io/oliver006/redis_exporter:v1.67.0-alpine");
    const calls = readFileSync(log, "utf8").trim().split("\n");
    const images = expectedImages();
    // every image, the lockfile and 4 config targets (3 Containerfiles, cloud/), even after the failure
    expect(calls.length).toBe(images.length + 1 + 4);
    for (const call of calls.filter((c) => c.startsWith("image "))) {
      expect(call).toContain("--severity HIGH,CRITICAL");
      expect(call).toContain("--ignore-unfixed");
      expect(call).toContain("--exit-code 1");
    }
    for (const ref of images) {
      if (ref.startsWith("localhost/")) continue;
      expect(calls).toContainEqual(
        expect.stringMatching(
          new RegExp(`--image-src remote ${ref.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`),
        ),
      );
    }
    // the project's own images (api, proxy, db) are exported from the engine and scanned as archives
    expect(calls.filter((c) => c.startsWith("image ") && c.includes("--input ")).length).toBe(3);
    expect(calls).toContainEqual(
      expect.stringMatching(/^fs --scanners vuln --ignore-unfixed .*--exit-code 1 .*bun\.lock$/),
    );
    expect(calls).toContainEqual(expect.stringMatching(/^config .*cloud$/));
    expect(res.out).toMatch(/\d+ passed, 1 failed/);
  });

  test("a project image that is not built fails the scan with a hint instead of being skipped", () => {
    const path = fakePath({
      trivy: "exit 0",
      docker: `case "$1" in info) exit 0 ;; image) exit 1 ;; esac
exit 1`,
    });
    const res = run(["bash", scan], { PATH: path, TP_ENGINE: "docker" });
    expect(res.code).toBe(1);
    expect(res.err).toContain("scan.sh --build");
    expect(res.out).toContain("FAIL image localhost/taskplatform-api:latest (not built)");
  });
});
