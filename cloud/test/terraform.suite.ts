// Offline checks of cloud/: terraform fmt, init from the local provider mirror, validate, terraform test
// (mocked AWS provider), shellcheck of the rendered user data and of `tp`.
// Run: bun test ./cloud/test/terraform.suite.ts   (needs terraform >= 1.7 and shellcheck on PATH;
// the provider mirror defaults to /opt/tf-plugins, override with TF_PLUGIN_DIR).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

// processes (terraform, shellcheck, bash) are slow on a loaded shared machine
setDefaultTimeout(600_000);

const cloudDir = resolve(import.meta.dir, "..");
const repoRoot = resolve(cloudDir, "..");
const pluginDir = process.env.TF_PLUGIN_DIR ?? "/opt/tf-plugins";
/** Names of the `run` blocks in cloud/tests/*.tftest.hcl. */
const runBlocks = readdirSync(join(cloudDir, "tests"))
  .filter((f) => f.endsWith(".tftest.hcl"))
  .flatMap((f) =>
    [...readFileSync(join(cloudDir, "tests", f), "utf8").matchAll(/^run "([^"]+)"/gm)].map(
      (m) => m[1] as string,
    ),
  );
const TIMEOUT = 600_000; // terraform test takes 20 s idle, minutes on a busy shared machine

let work = "";
let env: Record<string, string> = {};

interface Result {
  code: number;
  out: string;
}

function run(cmd: string[], cwd: string, extraEnv: Record<string, string> = {}): Result {
  const proc = Bun.spawnSync(cmd, { cwd, env: { ...env, ...extraEnv }, stdout: "pipe", stderr: "pipe" });
  const out = `${proc.stdout.toString()}${proc.stderr.toString()}`;
  return { code: proc.exitCode ?? 1, out };
}

function ok(result: Result, what: string): string {
  if (result.code !== 0) throw new Error(`${what} failed (exit ${result.code}):\n${result.out}`);
  return result.out;
}

beforeAll(() => {
  if (!Bun.which("terraform")) throw new Error("terraform is not on PATH");
  work = mkdtempSync(join(tmpdir(), "tp-cloud-"));
  // Work on a copy so no .terraform/, lock file or state ever lands in the repository.
  cpSync(cloudDir, join(work, "cloud"), {
    recursive: true,
    filter: (src) => !/[/\\](\.terraform|test)([/\\]|$)/.test(src.slice(cloudDir.length)),
  });
  const cliConfig = join(work, "terraformrc");
  writeFileSync(cliConfig, "");
  env = {
    ...(process.env as Record<string, string>),
    TF_CLI_CONFIG_FILE: cliConfig,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    NO_COLOR: "1",
  };
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("cloud/ terraform", () => {
  test("terraform fmt -check", () => {
    const result = run(["terraform", "fmt", "-check", "-recursive", "-diff"], join(work, "cloud"));
    expect(result.out).toBe("");
    expect(result.code).toBe(0);
  });

  test(
    "terraform init from the local provider mirror (offline)",
    () => {
      expect(existsSync(join(pluginDir, "registry.terraform.io/hashicorp/aws"))).toBe(true);
      const out = ok(
        run(
          ["terraform", "init", "-backend=false", "-input=false", "-no-color", `-plugin-dir=${pluginDir}`],
          join(work, "cloud"),
          { TF_DATA_DIR: join(work, "tfdata-root") },
        ),
        "terraform init",
      );
      expect(out).toMatch(/Installing hashicorp\/aws v5\.\d+\.\d+/);
    },
    TIMEOUT,
  );

  test(
    "terraform validate",
    () => {
      const out = ok(
        run(["terraform", "validate", "-no-color"], join(work, "cloud"), {
          TF_DATA_DIR: join(work, "tfdata-root"),
        }),
        "terraform validate",
      );
      expect(out).toContain("The configuration is valid");
    },
    TIMEOUT,
  );

  // `terraform test` runs once; every `run` block of cloud/tests/*.tftest.hcl is reported as its own test.
  let testOutput: Result | undefined;
  const terraformTest = (): Result => {
    testOutput ??= run(["terraform", "test", "-no-color"], join(work, "cloud"), {
      TF_DATA_DIR: join(work, "tfdata-root"),
    });
    return testOutput;
  };

  test(
    "terraform test (mock_provider aws) passes as a whole",
    () => {
      const out = ok(terraformTest(), "terraform test");
      const summary = out.match(/(\d+) passed, (\d+) failed/);
      expect(summary).not.toBeNull();
      expect(Number(summary?.[2])).toBe(0);
      expect(Number(summary?.[1])).toBe(runBlocks.length);
    },
    TIMEOUT,
  );

  for (const name of runBlocks) {
    test(
      `terraform test run "${name}"`,
      () => {
        const line = terraformTest().out.match(new RegExp(`run "${name}"\\.\\.\\. (pass|fail|skip)`));
        expect({ run: name, result: line?.[1] }).toEqual({ run: name, result: "pass" });
      },
      TIMEOUT,
    );
  }
});

describe("cloud/ user data and tp", () => {
  let rendered = "";

  beforeAll(() => {
    // Render the exact user data through Terraform itself (provider-free module, local state).
    const moduleDir = join(work, "cloud", "modules", "user-data");
    const tfEnv = { TF_DATA_DIR: join(work, "tfdata-userdata") };
    ok(run(["terraform", "init", "-backend=false", "-input=false"], moduleDir, tfEnv), "init user-data");
    ok(
      run(
        [
          "terraform",
          "apply",
          "-auto-approve",
          "-input=false",
          "-var=public_ip=198.51.100.20",
          "-var=repository_url=https://github.com/example/taskplatform.git",
          "-var=repository_ref=v1.2.3",
          `-var=tp_script=${readFileSync(join(cloudDir, "tp"), "utf8").replace(/\n$/, "")}`,
        ],
        moduleDir,
        tfEnv,
      ),
      "render user data",
    );
    rendered = ok(run(["terraform", "output", "-raw", "rendered"], moduleDir, tfEnv), "output");
    writeFileSync(join(work, "user-data.sh"), rendered);
  }, TIMEOUT);

  test("shellcheck on the rendered user data", () => {
    const result = run(["shellcheck", "--shell=bash", "--severity=style", join(work, "user-data.sh")], work);
    expect(result.out).toBe("");
    expect(result.code).toBe(0);
  });

  test("shellcheck on cloud/tp", () => {
    const result = run(["shellcheck", "--severity=style", join(cloudDir, "tp")], work);
    expect(result.out).toBe("");
    expect(result.code).toBe(0);
  });

  test("user data fits EC2's 16 KB limit", () => {
    expect(Buffer.byteLength(rendered, "utf8")).toBeLessThan(16 * 1024);
  });

  test("user data embeds cloud/tp byte for byte", () => {
    const match = rendered.match(/<<'TP_SCRIPT_EOF'\n([\s\S]*?)\nTP_SCRIPT_EOF\n/);
    expect(match).not.toBeNull();
    expect(`${match?.[1]}\n`).toBe(readFileSync(join(cloudDir, "tp"), "utf8"));
  });

  test("user data: podman, ref, setup.sh, quadlet install, root-only Grafana password", () => {
    expect(rendered.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(rendered).toContain("\nset -euo pipefail\n");
    expect(rendered).toContain("REPO_REF='v1.2.3'");
    expect(rendered).toContain("PUBLIC_IP='198.51.100.20'");
    expect(rendered).toMatch(/dnf install -y .*\bpodman\b/);
    expect(rendered).toContain("./scripts/setup.sh --no-build");
    expect(rendered).toContain("./systemd/deploy-quadlet.sh install");
    expect(rendered).toContain(
      'install -m 0400 -o root -g root "$APP_DIR/secrets/grafana_admin_password" "$GRAFANA_PASSWORD_FILE"',
    );
    // The password is copied on the host only: the template never sees it.
    expect(readFileSync(join(cloudDir, "user-data.sh.tftpl"), "utf8")).not.toMatch(
      /\$\{[a-z_]*password[a-z_]*\}/i,
    );
  });

  test("tp --help exits 0 and unknown commands exit 2", () => {
    const help = run(["bash", join(cloudDir, "tp"), "--help"], work);
    expect(help.code).toBe(0);
    for (const word of ["status", "health", "logs SERVICE", "backup", "restore FILE"])
      expect(help.out).toContain(word);
    const missingEnv = run(["bash", join(cloudDir, "tp"), "status"], work, {
      TP_ENV_FILE: join(work, "nope"),
    });
    expect(missingEnv.code).toBe(1);
    const envFile = join(work, "tp.env");
    writeFileSync(envFile, `TP_USER=${process.env.USER ?? "root"}\nTP_DIR=${work}\nTP_MODE=quadlet\n`);
    const unknown = run(["bash", join(cloudDir, "tp"), "frobnicate"], work, { TP_ENV_FILE: envFile });
    expect(unknown.code).toBe(2);
    const badName = run(["bash", join(cloudDir, "tp"), "logs", "../etc"], work, { TP_ENV_FILE: envFile });
    expect(badName.code).toBe(1);
    expect(badName.out).toContain("invalid service name");
  });

  test("no terraform working files are tracked in git", () => {
    const files = ok(run(["git", "ls-files", "cloud"], repoRoot), "git ls-files").split("\n");
    expect(files.filter((f) => /(^|\/)\.terraform(\/|$)|\.tfstate|\.terraform\.lock\.hcl$/.test(f))).toEqual(
      [],
    );
  });
});
