// Offline checks of cloud/: terraform fmt, init from the local provider mirror, validate, terraform test
// (mocked AWS provider), shellcheck of the rendered user data and of `tp`.
// Run: bun test ./cloud/test/terraform.suite.ts   (needs terraform >= 1.7 and shellcheck on PATH;
// the provider mirror defaults to /opt/tf-plugins, override with TF_PLUGIN_DIR).
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
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

/**
 * Renders user data through Terraform itself: applies a provider-free module (local state in its own data
 * dir) with the given variables and returns its `rendered` output.
 */
function renderUserData(module: string, dataDir: string, vars: Record<string, string>): string {
  const moduleDir = join(work, "cloud", "modules", module);
  const tfEnv = { TF_DATA_DIR: join(work, dataDir) };
  ok(run(["terraform", "init", "-backend=false", "-input=false"], moduleDir, tfEnv), `init ${module}`);
  const varArgs = Object.entries(vars).map(([name, value]) => `-var=${name}=${value}`);
  ok(
    run(["terraform", "apply", "-auto-approve", "-input=false", ...varArgs], moduleDir, tfEnv),
    `render ${module}`,
  );
  return ok(run(["terraform", "output", "-raw", "rendered"], moduleDir, tfEnv), `output ${module}`);
}

describe("cloud/ user data and tp", () => {
  let rendered = "";

  beforeAll(() => {
    rendered = renderUserData("user-data", "tfdata-userdata", {
      public_ip: "198.51.100.20",
      repository_url: "https://github.com/example/taskplatform.git",
      repository_ref: "v1.2.3",
      tp_script: readFileSync(join(cloudDir, "tp"), "utf8").replace(/\n$/, ""),
    });
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

describe("cloud/ swarm node user data", () => {
  const managerIps = ["172.31.0.10", "172.31.16.11", "172.31.32.12"];
  const publicIps = ["198.51.100.20", "198.51.100.21", "198.51.100.22"];
  const placeholder = "pending-swarm-init";
  const managerToken = "SWMTKN-1-manager-secret";
  const rendered: Record<number, string> = {};

  beforeAll(() => {
    for (const node of [1, 2]) {
      rendered[node] = renderUserData("swarm-user-data", "tfdata-swarm-userdata", {
        node_index: String(node),
        private_ip: managerIps[node - 1] as string,
        seed_manager_ips: JSON.stringify(managerIps),
        seed_public_ips: JSON.stringify(publicIps),
        region: "eu-central-1",
        join_token_parameter: "/taskplatform/swarm/manager-join-token",
        token_placeholder: placeholder,
        repository_url: "https://github.com/example/taskplatform.git",
        repository_ref: "v1.2.3",
      });
      writeFileSync(join(work, `swarm-node-${node}.sh`), rendered[node] as string);
    }
  }, TIMEOUT);

  for (const node of [1, 2]) {
    test(`shellcheck on node ${node}'s rendered user data, under EC2's 16 KB`, () => {
      const result = run(
        ["shellcheck", "--shell=bash", "--severity=style", join(work, `swarm-node-${node}.sh`)],
        work,
      );
      expect(result.out).toBe("");
      expect(result.code).toBe(0);
      expect(Buffer.byteLength(rendered[node] as string, "utf8")).toBeLessThan(16 * 1024);
    });
  }

  // The bootstrap's decisions (init or join, whom to join, labels, stale entries, deploy) run against fake
  // docker/aws/dnf/git: the real Swarm is exercised by the Swarm suite, AWS is not reachable offline.
  const fakes: Record<string, string> = {
    docker: `
case "$1 $2" in
  "info --format")
    if [[ "$3" == *LocalNodeState* ]]; then cat "$FAKE/state" 2>/dev/null || echo inactive; else echo self-id; fi ;;
  "swarm init")
    echo "To add a worker to this swarm, run: docker swarm join --token SWMTKN-1-worker-secret 10.0.0.1:2377"
    echo active >"$FAKE/state" ;;
  "swarm join-token") echo "${managerToken}" ;;
  "swarm join")
    manager=\${!#}
    if [[ -e "$FAKE/refuse-$manager" ]]; then echo "Error: could not reach $manager" >&2; exit 1; fi
    echo active >"$FAKE/state"; echo "This node joined a swarm as a manager." ;;
  "node update")
    if [[ "$4" == tp.pg=* ]]; then echo "ready \${4#tp.pg=}" >"$FAKE/node-\${!#}"; echo "\${!#}" >>"$FAKE/nodes"; fi ;;
  "node ls") sort -u "$FAKE/nodes" ;;
  "node inspect")
    if [[ "$4" == *range* ]]; then cat "$FAKE/labels-$5"; else for id in "\${@:5}"; do cat "$FAKE/node-$id"; done; fi ;;
esac`,
    aws: `
if [[ "$2" == get-parameter ]]; then
  failures=$(cat "$FAKE/failing-reads")
  if ((failures > 0)); then echo $((failures - 1)) >"$FAKE/failing-reads"; echo "Unable to locate credentials" >&2; exit 255; fi
  reads=$(cat "$FAKE/placeholder-reads")
  if ((reads > 0)); then echo $((reads - 1)) >"$FAKE/placeholder-reads"; echo "${placeholder}"; else cat "$FAKE/parameter"; fi
elif [[ "$2" == put-parameter ]]; then
  args="$*"; value=\${args##*--value file://}; cp "\${value%% *}" "$FAKE/parameter"
fi`,
    sleep: "",
    bun: "",
    dnf: "",
    systemctl: "",
    git: "",
  };

  interface Node {
    index: 1 | 2;
    parameter: string;
    placeholderReads?: number;
    /** get-parameter calls that fail first (instance profile not yet usable) */
    failingReads?: number;
    /** node id → "state tp.pg" as the fake `docker node inspect` prints it */
    nodes?: Record<string, string>;
    /** node id → its labels as "key=value key=value" */
    labels?: Record<string, string>;
  }

  /** Runs the rendered bootstrap of one node against the fakes; returns its exit code, log and the calls. */
  function boot({ index, parameter, placeholderReads = 0, failingReads = 0, nodes = {}, labels = {} }: Node) {
    const dir = mkdtempSync(join(work, `boot-${index}-`));
    const fake = join(dir, "fake");
    const bin = join(dir, "bin");
    const app = join(dir, "app");
    for (const path of [fake, bin, join(app, "scripts", "swarm")]) mkdirSync(path, { recursive: true });
    for (const [name, body] of Object.entries(fakes))
      writeFileSync(join(bin, name), `#!/usr/bin/env bash\necho "${name} $*" >>"$FAKE/calls"\n${body}\n`, {
        mode: 0o755,
      });
    const deployEnv = "SWARM_REGISTRY=$SWARM_REGISTRY DEPLOY_TIMEOUT=$DEPLOY_TIMEOUT";
    for (const [script, line] of [
      ["setup.sh", "setup.sh $*"],
      ["swarm/deploy.sh", `swarm/deploy.sh $* ${deployEnv}`],
    ] as const)
      writeFileSync(join(app, "scripts", script), `#!/usr/bin/env bash\necho "${line}" >>"$FAKE/calls"\n`, {
        mode: 0o755,
      });
    writeFileSync(join(app, ".env.example"), "PUBLIC_HOSTNAME=localhost\n");
    writeFileSync(join(fake, "parameter"), `${parameter}\n`);
    writeFileSync(join(fake, "placeholder-reads"), String(placeholderReads));
    writeFileSync(join(fake, "failing-reads"), String(failingReads));
    writeFileSync(
      join(fake, "nodes"),
      Object.keys(nodes)
        .map((id) => `${id}\n`)
        .join(""),
    );
    for (const [id, status] of Object.entries(nodes)) writeFileSync(join(fake, `node-${id}`), `${status}\n`);
    for (const [id, pairs] of Object.entries(labels)) writeFileSync(join(fake, `labels-${id}`), `${pairs}\n`);
    const logFile = join(dir, "bootstrap.log");
    const script = (rendered[index] as string)
      .replaceAll("/var/log/taskplatform-bootstrap.log", logFile)
      .replace("APP_DIR=/opt/taskplatform", `APP_DIR=${app}`)
      .replace("DOCKER_DAEMON_CONFIG=/etc/docker/daemon.json", `DOCKER_DAEMON_CONFIG=${dir}/etc/daemon.json`);
    // Never touch the real /var/log or /opt.
    expect(script).not.toContain("/var/log/taskplatform-bootstrap.log");
    expect(script).not.toContain("/opt/taskplatform");
    expect(script).not.toContain("/etc/docker");
    writeFileSync(join(dir, "boot.sh"), script);
    // Through cat: the script tees into its log, and cat ends only once tee has written everything.
    const result = run(["bash", "-c", 'set -o pipefail; bash "$0" | cat', join(dir, "boot.sh")], dir, {
      FAKE: fake,
      PATH: `${bin}:${process.env.PATH}`,
    });
    const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "");
    return {
      ...result,
      log: read(logFile),
      calls: read(join(fake, "calls")).split("\n"),
      parameter: read(join(fake, "parameter")).trim(),
      env: read(join(app, ".env")),
      daemonConfig: read(join(dir, "etc", "daemon.json")),
    };
  }

  test("node 1 at first boot: init, token to SSM (never logged), label tp.pg=1, waits for all, deploys", () => {
    const boot1 = boot({
      index: 1,
      parameter: placeholder,
      failingReads: 2,
      nodes: { n2: "ready 2", n3: "ready 3" },
    });
    // The parameter could not be read at first: node 1 waited instead of taking that for "published".
    expect(boot1.calls.filter((c) => c.startsWith("sleep")).length).toBeGreaterThanOrEqual(2);
    expect(boot1.code).toBe(0);
    expect(boot1.calls).toContain(
      "docker swarm init --advertise-addr 172.31.0.10 --listen-addr 172.31.0.10:2377",
    );
    expect(boot1.parameter).toBe(managerToken);
    expect(boot1.calls.find((c) => c.startsWith("aws ssm put-parameter"))).toContain("--type SecureString");
    expect(boot1.calls).toContain("docker node update --label-add tp.pg=1 self-id");
    expect(boot1.calls.filter((c) => c.startsWith("docker swarm join "))).toEqual([]);
    const setupAt = boot1.calls.indexOf(
      "setup.sh --no-build --hostname 198.51.100.21 --hostname 198.51.100.22",
    );
    expect(setupAt).toBeGreaterThan(0);
    expect(
      boot1.calls.indexOf("swarm/deploy.sh  SWARM_REGISTRY=172.31.0.10:5000 DEPLOY_TIMEOUT=900"),
    ).toBeGreaterThan(setupAt);
    expect(JSON.parse(boot1.daemonConfig)).toEqual({ "insecure-registries": ["172.31.0.10:5000"] });
    expect(boot1.calls).toContain(
      "docker run -d --name taskplatform-registry --restart always -p 172.31.0.10:5000:5000 -v taskplatform-registry:/var/lib/registry registry:2.8.3",
    );
    expect(boot1.env).toContain("PUBLIC_HOSTNAME=198.51.100.20\n");
    expect(boot1.log).toContain("done: https://198.51.100.20/");
    expect(boot1.log).not.toContain("SWMTKN");
  });

  test("node 2 waits for the token, joins node 1 as a manager, labels itself tp.pg=2, does not deploy", () => {
    const boot2 = boot({ index: 2, parameter: managerToken, placeholderReads: 3 });
    expect(boot2.code).toBe(0);
    expect(boot2.calls.filter((c) => c.startsWith("sleep")).length).toBe(2);
    expect(boot2.calls).toContain(
      `docker swarm join --token ${managerToken} --advertise-addr 172.31.16.11 --listen-addr 172.31.16.11:2377 172.31.0.10:2377`,
    );
    expect(boot2.calls).toContain("docker node update --label-add tp.pg=2 self-id");
    // Pulls from node 1's registry, runs none itself.
    expect(JSON.parse(boot2.daemonConfig)).toEqual({ "insecure-registries": ["172.31.0.10:5000"] });
    expect(boot2.calls.filter((c) => c.startsWith("docker run"))).toEqual([]);
    expect(
      boot2.calls.filter(
        (c) => c.includes("swarm init") || c.includes("deploy.sh") || c.includes("put-parameter"),
      ),
    ).toEqual([]);
    expect(boot2.log).toContain("done: node 2 is a manager of the swarm");
    expect(boot2.log).not.toContain("SWMTKN");
  });

  test("a replaced node 1 joins the surviving managers, takes over its old entry's labels, removes it", () => {
    const boot1 = boot({
      index: 1,
      parameter: managerToken,
      nodes: { old1: "down 1", n2: "ready 2", n3: "down 3" },
      labels: { old1: "tp.monitoring=true tp.pg=1 tp.redis=3" },
    });
    expect(boot1.code).toBe(0);
    expect(boot1.calls.filter((c) => c.startsWith("docker swarm init"))).toEqual([]);
    expect(boot1.calls).toContain(
      `docker swarm join --token ${managerToken} --advertise-addr 172.31.0.10 --listen-addr 172.31.0.10:2377 172.31.16.11:2377`,
    );
    expect(boot1.calls.filter((c) => c.startsWith("docker node update"))).toEqual([
      "docker node update --label-add tp.pg=1 self-id",
      "docker node update --label-add tp.monitoring=true self-id",
      "docker node update --label-add tp.pg=1 self-id",
      "docker node update --label-add tp.redis=3 self-id",
    ]);
    // Only its own stale entry goes; node 3 being down is not node 1's to fix.
    expect(boot1.calls.filter((c) => /^docker node (demote|rm)/.test(c))).toEqual([
      "docker node demote old1",
      "docker node rm --force old1",
    ]);
    expect(boot1.calls.filter((c) => c.includes("deploy.sh"))).toEqual([]);
  });
});
