// The ops scripts: shellcheck, conventions, setup.sh, generate-ssl.sh, and deploy.sh's engine handling
// against a fake `docker` (this machine has no container engine; issue 8's stack test runs the real one).
// Run: bun test ./scripts/test/scripts.suite.ts
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
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

setDefaultTimeout(60_000);

const root = join(import.meta.dir, "../..");
const scriptNames = readdirSync(join(root, "scripts")).filter((f) => f.endsWith(".sh"));
const cleanup: string[] = [];

afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

function run(cmd: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) {
  const res = Bun.spawnSync(cmd, {
    cwd: opts.cwd ?? root,
    env: { ...process.env, TP_ENV_FILE: "/nonexistent", ...opts.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: res.exitCode, out: res.stdout.toString(), err: res.stderr.toString() };
}

/**
 * A PATH with the usual tools but no container engine (this machine may have docker or podman): links to
 * the tools the scripts use.
 */
function enginelessPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "tp-path-"));
  cleanup.push(dir);
  const tools = [
    "bash",
    "sh",
    "env",
    "openssl",
    "sha256sum",
    "awk",
    "sed",
    "tr",
    "cut",
    "head",
    "tail",
    "wc",
    "mkdir",
    "chmod",
    "cp",
    "mv",
    "rm",
    "cat",
    "date",
    "basename",
    "dirname",
    "mktemp",
    "find",
    "sort",
    "grep",
    "sleep",
    "tee",
    "id",
    "ls",
    "stat",
    "curl",
    "pg_dump",
    "pg_restore",
    "psql",
  ];
  for (const tool of tools) {
    const path = Bun.which(tool);
    if (path) symlinkSync(path, join(dir, tool));
  }
  return dir;
}
const NO_ENGINE_PATH = enginelessPath();

/**
 * Writes the fake `docker` into `bin`: it logs every call to calls.log and answers `info` and
 * `compose version`; `compose` is the rest of its compose arm, `arms` more arms of `case "$1"`.
 */
function writeFakeDocker(bin: string, compose: string, arms: string) {
  const script = `#!/bin/sh
echo "$*" >> "${bin}/calls.log"
case "$1" in
  info) exit 0 ;;
  compose)
    [ "$2" = version ] && { echo "Docker Compose version v2.99.0"; exit 0; }
${compose}
    exit 0 ;;
${arms}
esac
exit 0
`;
  writeFileSync(join(bin, "docker"), script);
  chmodSync(join(bin, "docker"), 0o755);
}

/** A scratch copy of the parts of the repository the scripts use. */
function scratchRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), "tp-scripts-"));
  cleanup.push(dir);
  cpSync(join(root, "scripts"), join(dir, "scripts"), {
    recursive: true,
    filter: (src) => !src.includes("/test"),
  });
  copyFileSync(join(root, ".env.example"), join(dir, ".env.example"));
  copyFileSync(join(root, "compose.yaml"), join(dir, "compose.yaml"));
  return dir;
}

describe("shared pieces (scripts/lib, scripts/ci/ci-tool.ts)", () => {
  const bash = (script: string, args: string[] = []) =>
    run([
      "bash",
      "-c",
      `set -euo pipefail; source scripts/lib/report.sh; source scripts/lib/wait-healthy.sh; ${script}`,
      "t",
      ...args,
    ]);

  test("report.sh counts checks and ends with the line .ci/run reads", () => {
    const res = bash(
      'pass one; fail two why; check three true; check four false; report_summary "failed:" "x: "',
    );
    expect(res.out).toBe(
      "ok   one\nFAIL two: why\nok   three\nFAIL four\nfailed:\n  - two: why\n  - four\nx: 2 passed, 2 failed\n",
    );
    expect(res.code).toBe(1);
  });

  test("report_flags sets the flags given, prints usage for --help, refuses anything else", () => {
    const flags =
      'usage() { echo USAGE; }; report_flags --keep=KEEP --other=OTHER -- "$@"; echo "$KEEP $OTHER"';
    expect(bash(flags, ["--other"]).out).toBe("0 1\n");
    expect(bash(flags, ["--help"])).toMatchObject({ code: 0, out: "USAGE\n" });
    const bad = bash(flags, ["--nope"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown argument: --nope");
  });

  test("wait_until polls until the command succeeds, or gives up after the time", () => {
    expect(bash('n=0; more() { n=$((n + 1)); ((n >= 3)); }; wait_until 10 0.1 more; echo "$n"').out).toBe(
      "3\n",
    );
    const late = bash("start=$SECONDS; wait_until 1 0.2 false || echo gave up after $((SECONDS - start))");
    expect(late.out).toMatch(/^gave up after [12]\n$/);
  });

  test("ci-tool.ts: services of a compose file, a JSON field, a free port", () => {
    const tool = join(root, "scripts/ci/ci-tool.ts");
    const services = run(["bun", tool, "services", "compose.yaml"]).out.split("\n");
    expect(services.find((l) => l.startsWith("api "))).toMatch(/^api localhost\/taskplatform-api:\S+ build$/);
    expect(services.find((l) => l.startsWith("postgres "))).toMatch(
      /^postgres localhost\/taskplatform-db:\S+ build$/,
    );
    const json = Bun.spawnSync(["bun", tool, "json", "accessToken"], {
      stdin: Buffer.from('{"accessToken":"t1"}'),
    });
    expect(json.stdout.toString()).toBe("t1\n");
    expect(Number(run(["bun", tool, "free-port"]).out)).toBeGreaterThan(0);
  });
});

describe("conventions", () => {
  test("the scripts are the ones the docs name", () => {
    for (const name of [
      "setup.sh",
      "generate-ssl.sh",
      "deploy.sh",
      "backup.sh",
      "restore.sh",
      "test-complete.sh",
    ]) {
      expect(scriptNames).toContain(name);
    }
  });

  test("shellcheck is clean on every script, the shared pieces, the CI scripts (and the proxy entrypoint)", () => {
    const files = [
      ...scriptNames.map((f) => join(root, "scripts", f)),
      ...["lib/*.sh", "ci/*.sh", "ci/stack/*.sh", "swarm/*.sh"].flatMap((glob) =>
        [...new Bun.Glob(glob).scanSync(join(root, "scripts"))].map((f) => join(root, "scripts", f)),
      ),
      join(root, "scripts/ci/standins/exporter/extras.sh"),
      join(root, "proxy/entrypoint.sh"),
      join(root, "db/patroni/entrypoint.sh"),
      join(root, "db/patroni/post-bootstrap.sh"),
    ];
    expect(files).toContain(join(root, "scripts/swarm/deploy.sh"));
    expect(files).toContain(join(root, "scripts/lib/report.sh"));
    expect(files).toContain(join(root, "scripts/ci/stack/10-engine.sh"));
    const res = run(["shellcheck", "-x", ...files]);
    expect(res.out + res.err).toBe("");
    expect(res.code).toBe(0);
    // ~3.5 s of CPU for about forty files: with 20 processes on two cores that took over 60 s.
  }, 300_000);

  test.each(scriptNames.filter((f) => f !== "lib.sh"))(
    "%s: bash strict mode, --help, rejects unknown options",
    (name) => {
      const file = join(root, "scripts", name);
      const text = readFileSync(file, "utf8");
      expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
      expect(text).toContain("set -euo pipefail");
      expect(statSync(file).mode & 0o111).not.toBe(0);
      const help = run(["bash", file, "--help"]);
      expect(help.code, help.err).toBe(0);
      expect(help.out).toContain("Usage: scripts/");
      const bad = run(["bash", file, "--no-such-option"], { env: { PATH: NO_ENGINE_PATH } });
      expect(bad.code).not.toBe(0);
      expect(bad.err).toContain("unknown option");
    },
  );
});

describe("setup.sh", () => {
  let dir: string;
  const env = { PATH: NO_ENGINE_PATH, TP_ENV_FILE: "" };

  beforeAll(() => {
    dir = scratchRepo();
  });

  test("creates .env, strong secrets in a 0700 directory and the TLS certificate", () => {
    const res = run(
      ["bash", join(dir, "scripts/setup.sh"), "--no-build", "--hostname", "tasks.example.test"],
      { env },
    );
    expect(res.code, res.err).toBe(0);
    expect(readFileSync(join(dir, ".env"), "utf8")).toBe(readFileSync(join(dir, ".env.example"), "utf8"));
    expect(statSync(join(dir, "secrets")).mode & 0o777).toBe(0o700);
    const lengths: Record<string, number> = {
      db_password: 48,
      redis_password: 48,
      jwt_secret: 96,
      grafana_admin_password: 32,
    };
    for (const [name, length] of Object.entries(lengths)) {
      const file = join(dir, "secrets", name);
      const value = readFileSync(file, "utf8");
      expect(value, name).toMatch(new RegExp(`^[0-9a-f]{${length}}$`));
      expect(statSync(file).mode & 0o022, `${name} writable by others`).toBe(0);
    }
    expect(new Set(Object.keys(lengths).map((n) => readFileSync(join(dir, "secrets", n), "utf8"))).size).toBe(
      4,
    );
    // No SMTP server until the operator puts one in; a blank line, not empty (podman refuses empty secrets).
    expect(readFileSync(join(dir, "secrets/smtp_url"), "utf8")).toBe("\n");
    expect(res.out + res.err).toContain("secrets/smtp_url");
    expect(statSync(join(dir, "secrets/tls")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "secrets/ca/ca.key")).mode & 0o777).toBe(0o600);
    const san = run([
      "openssl",
      "x509",
      "-in",
      join(dir, "secrets/tls/server.crt"),
      "-noout",
      "-ext",
      "subjectAltName",
    ]);
    for (const name of ["DNS:localhost", "IP Address:127.0.0.1", "DNS:tasks.example.test"])
      expect(san.out).toContain(name);
    expect(res.err).toContain("no container engine");
  });

  test("pgBackRest's certificates for the three-node stack: a private CA (key kept apart), keys 0600, names and CNs", () => {
    const tls = join(dir, "secrets/pgbackrest");
    expect(statSync(tls).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "secrets/pgbackrest-ca/ca.key")).mode & 0o777).toBe(0o600);
    expect(readdirSync(tls).sort()).toEqual([
      "ca.crt",
      "member.crt",
      "member.key",
      "repository.crt",
      "repository.key",
    ]);
    // pgBackRest refuses a key file others can read
    for (const key of ["member.key", "repository.key"])
      expect(statSync(join(tls, key)).mode & 0o777).toBe(0o600);
    for (const [cert, cn, names] of [
      ["member", "member", "DNS:pg1, DNS:pg2, DNS:pg3"],
      ["repository", "repository", "DNS:pgbackrest"],
    ] as const) {
      const file = join(tls, `${cert}.crt`);
      expect(run(["openssl", "verify", "-CAfile", join(tls, "ca.crt"), file]).code).toBe(0);
      const text = run([
        "openssl",
        "x509",
        "-in",
        file,
        "-noout",
        "-subject",
        "-ext",
        "subjectAltName,extendedKeyUsage",
      ]).out;
      expect(text).toContain(`CN = ${cn}`);
      expect(text).toContain(names);
      expect(text).toContain("TLS Web Server Authentication, TLS Web Client Authentication");
    }
  });

  test("the CA key is kept out of every directory the proxy's files come from", () => {
    expect(statSync(join(dir, "secrets/ca")).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, "secrets/ca/ca.key")).mode & 0o777).toBe(0o600);
    // the directories of the files compose.yaml and the Quadlet deploy hand to the containers
    const compose = readFileSync(join(root, "compose.yaml"), "utf8");
    const quadlet = readFileSync(join(root, "systemd/deploy-quadlet.sh"), "utf8");
    const mounted = [
      ...[...compose.matchAll(/^\s+file: \.\/(secrets\/\S+)$/gm)].map((m) => m[1] as string),
      ...[...quadlet.matchAll(/^\s+\w+=(secrets\/\S+)$/gm)].map((m) => m[1] as string),
    ];
    expect(mounted).toContain("secrets/tls/server.key");
    for (const file of mounted) expect(file, file).not.toMatch(/(^|\/)ca(\/|\.key)/);
    const dirs = new Set(mounted.map((f) => f.slice(0, f.lastIndexOf("/"))));
    expect([...dirs].sort()).toEqual(["secrets", "secrets/tls"]);
    for (const sub of dirs) {
      for (const name of readdirSync(join(dir, sub))) {
        const path = join(dir, sub, name);
        if (!statSync(path).isFile()) continue;
        const text = readFileSync(path, "utf8");
        if (text.includes("PRIVATE KEY")) expect(`${sub}/${name}`).toBe("secrets/tls/server.key");
      }
    }
    // and the CA the key belongs to is the one that signed the server certificate
    const verify = run([
      "openssl",
      "verify",
      "-CAfile",
      join(dir, "secrets/ca/ca.crt"),
      join(dir, "secrets/tls/server.crt"),
    ]);
    expect(verify.code, verify.err).toBe(0);
    // nothing that deploys the stack mounts or copies secrets/ca
    for (const file of [
      "compose.yaml",
      "systemd/deploy-quadlet.sh",
      "systemd/taskplatform-proxy.container",
      "cloud/user-data.sh.tftpl",
      "cloud/tp",
    ])
      expect(readFileSync(join(root, file), "utf8"), file).not.toMatch(/secrets\/ca\b|ca\.key/);
  });

  test("a second run keeps every secret and the certificate; --force replaces them but keeps the CA", () => {
    const read = () =>
      Object.fromEntries(
        ["db_password", "jwt_secret", "tls/server.crt", "tls/ca.crt", "pgbackrest/member.key"].map((n) => [
          n,
          readFileSync(join(dir, "secrets", n), "utf8"),
        ]),
      );
    const before = read();
    writeFileSync(join(dir, ".env"), `${readFileSync(join(dir, ".env"), "utf8")}\n# edited by the user\n`);
    const again = run(["bash", join(dir, "scripts/setup.sh"), "--no-build"], { env });
    expect(again.code, again.err).toBe(0);
    expect(read()).toEqual(before);
    expect(readFileSync(join(dir, ".env"), "utf8")).toContain("# edited by the user");
    const forced = run(["bash", join(dir, "scripts/setup.sh"), "--no-build", "--force"], { env });
    expect(forced.code, forced.err).toBe(0);
    const after = read();
    expect(after.db_password).not.toBe(before.db_password);
    expect(after.jwt_secret).not.toBe(before.jwt_secret);
    expect(after["tls/server.crt"]).not.toBe(before["tls/server.crt"]);
    expect(after["tls/ca.crt"]).toBe(before["tls/ca.crt"] as string);
    expect(after["pgbackrest/member.key"]).not.toBe(before["pgbackrest/member.key"]);
    const verify = run([
      "openssl",
      "verify",
      "-CAfile",
      join(dir, "secrets/tls/ca.crt"),
      join(dir, "secrets/tls/server.crt"),
    ]);
    expect(verify.code, verify.err).toBe(0);
  });

  test("without --no-build and without a container engine it stops with a clear message", () => {
    const res = run(["bash", join(dir, "scripts/setup.sh")], { env });
    expect(res.code).not.toBe(0);
    expect(res.err).toContain("no container engine found");
  });
});

describe("generate-ssl.sh", () => {
  const script = join(root, "scripts/generate-ssl.sh");
  const x509 = (file: string, ...args: string[]) =>
    run(["openssl", "x509", "-in", file, "-noout", ...args]).out;
  const dates = (file: string) => {
    const text = x509(file, "-dates");
    const at = (key: string) => Date.parse(new RegExp(`${key}=(.+)`).exec(text)?.[1] ?? "");
    return { from: at("notBefore"), to: at("notAfter") };
  };
  const DAY = 86_400_000;

  /** A server certificate for `san` signed by the given CA (what a thief holding the CA key could make). */
  function signWith(dir: string, ca: string, name: string, san: string): string {
    const ext = join(dir, `${name}.ext`);
    writeFileSync(
      ext,
      `basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`,
    );
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const crt = join(dir, `${name}.crt`);
    const req = run(
      ["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"].concat([
        "-keyout",
        key,
        "-out",
        csr,
        "-subj",
        `/CN=${name}`,
      ]),
    );
    expect(req.code, req.err).toBe(0);
    const sign = run(
      ["openssl", "x509", "-req", "-in", csr, "-CA", join(ca, "ca.crt"), "-CAkey", join(ca, "ca.key")].concat(
        ["-CAcreateserial", "-CAserial", join(dir, "ca.srl"), "-out", crt, "-days", "30", "-extfile", ext],
      ),
    );
    expect(sign.code, sign.err).toBe(0);
    return crt;
  }

  test("the local CA is name-constrained (critical), short-lived, and vouches for nothing else", () => {
    const dir = mkdtempSync(join(tmpdir(), "tp-ca-"));
    cleanup.push(dir);
    const out = join(dir, "tls");
    const ca = join(dir, "ca");
    const res = run(["bash", script, "--out", out, "--ca-dir", ca, "--hostname", "tasks.example.test"]);
    expect(res.code, res.err).toBe(0);

    const constraints = x509(join(ca, "ca.crt"), "-ext", "nameConstraints");
    expect(constraints).toContain("X509v3 Name Constraints: critical");
    for (const permitted of [
      "DNS:localhost",
      "DNS:tasks.example.test",
      "IP:127.0.0.1/255.255.255.255",
      "IP:0:0:0:0:0:0:0:1/FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF",
    ])
      expect(constraints).toContain(permitted);
    expect(x509(join(ca, "ca.crt"), "-ext", "basicConstraints")).toContain("CA:TRUE, pathlen:0");

    // validity: the CA about two years at most, the server certificate at most 397 days and within the CA's
    const caLife = dates(join(ca, "ca.crt"));
    const leafLife = dates(join(out, "server.crt"));
    expect((caLife.to - caLife.from) / DAY).toBeLessThanOrEqual(731);
    expect((leafLife.to - leafLife.from) / DAY).toBeLessThanOrEqual(397);
    expect(leafLife.to).toBeLessThanOrEqual(caLife.to);

    // the server's directory holds no CA key; the trust-store copy of the CA certificate is there
    expect(readdirSync(out).sort()).toEqual(["ca.crt", "server.crt", "server.key"]);
    expect(readFileSync(join(out, "ca.crt"), "utf8")).toBe(readFileSync(join(ca, "ca.crt"), "utf8"));

    const verify = (crt: string) => run(["openssl", "verify", "-CAfile", join(ca, "ca.crt"), crt]);
    const own = verify(join(out, "server.crt"));
    expect(own.code, own.out + own.err).toBe(0);
    // what the CA key could sign for any other site does not verify
    for (const [name, san] of [
      ["evil", "DNS:www.example.com"],
      ["ip", "IP:10.0.0.1"],
      ["mixed", "DNS:localhost,DNS:bank.example"],
    ] as const) {
      const bad = verify(signWith(dir, ca, name, san));
      expect(bad.code, name).not.toBe(0);
      expect(bad.out + bad.err, name).toContain("permitted subtree violation");
    }
    // and the same names are fine (the check is the constraint, not the signing)
    expect(verify(signWith(dir, ca, "fine", "DNS:tasks.example.test,IP:127.0.0.1")).code).toBe(0);
  });

  test("limits: --days above 397 and --out without --ca-dir are refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "tp-ca-"));
    cleanup.push(dir);
    const long = run(["bash", script, "--out", join(dir, "a"), "--ca-dir", join(dir, "ca"), "--days", "398"]);
    expect(long.code).not.toBe(0);
    expect(long.err).toContain("at most 397");
    const noCaDir = run(["bash", script, "--out", join(dir, "b")]);
    expect(noCaDir.code).not.toBe(0);
    expect(noCaDir.err).toContain("--ca-dir");
    expect(existsSync(join(dir, "b/server.crt"))).toBe(false);
  });

  test("an older installation: the CA key leaves the server's directory, --force replaces the unconstrained CA", () => {
    const dir = mkdtempSync(join(tmpdir(), "tp-ca-"));
    cleanup.push(dir);
    const out = join(dir, "tls");
    const ca = join(dir, "ca");
    mkdirSync(out, { recursive: true });
    // what the previous generate-ssl.sh left: a 10-year unconstrained CA beside the server key
    const old = run(
      ["openssl", "req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        .concat([
          "-keyout",
          join(out, "ca.key"),
          "-out",
          join(out, "ca.crt"),
          "-days",
          "3650",
          "-subj",
          "/CN=old CA",
        ])
        .concat(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]),
    );
    expect(old.code, old.err).toBe(0);
    copyFileSync(join(out, "ca.crt"), join(out, "server.crt"));
    const oldCa = readFileSync(join(out, "ca.crt"), "utf8");

    const again = run(["bash", script, "--out", out, "--ca-dir", ca]);
    expect(again.code, again.err).toBe(0);
    expect(existsSync(join(out, "ca.key"))).toBe(false);
    expect(existsSync(join(ca, "ca.key"))).toBe(true);
    expect(again.err).toContain("no name constraints");

    const forced = run(["bash", script, "--out", out, "--ca-dir", ca, "--force"]);
    expect(forced.code, forced.err).toBe(0);
    expect(forced.err).toContain('remove "CN = old CA"');
    expect(readFileSync(join(ca, "ca.crt"), "utf8")).not.toBe(oldCa);
    expect(x509(join(ca, "ca.crt"), "-ext", "nameConstraints")).toContain("critical");
    expect(readdirSync(out).sort()).toEqual(["ca.crt", "server.crt", "server.key"]);
    // a later --force keeps the new CA (same names), so browsers that trust it keep trusting it
    const newCa = readFileSync(join(ca, "ca.crt"), "utf8");
    expect(run(["bash", script, "--out", out, "--ca-dir", ca, "--force"]).code).toBe(0);
    expect(readFileSync(join(ca, "ca.crt"), "utf8")).toBe(newCa);
    // a name the CA does not cover needs a new CA, and the script says so
    const wider = run([
      "bash",
      script,
      "--out",
      out,
      "--ca-dir",
      ca,
      "--force",
      "--hostname",
      "new.example.test",
    ]);
    expect(wider.code, wider.err).toBe(0);
    expect(wider.err).toContain("does not cover every name");
    expect(readFileSync(join(ca, "ca.crt"), "utf8")).not.toBe(newCa);
  });

  test("installs a certificate you provide, refusing a key that does not match", () => {
    const dir = mkdtempSync(join(tmpdir(), "tp-ssl-"));
    cleanup.push(dir);
    const mk = (name: string) =>
      run([
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        join(dir, `${name}.key`),
        "-out",
        join(dir, `${name}.crt`),
        "-days",
        "2",
        "-subj",
        `/CN=${name}`,
      ]);
    expect(mk("one").code).toBe(0);
    expect(mk("two").code).toBe(0);
    const out = join(dir, "out");
    const script = join(root, "scripts/generate-ssl.sh");
    const mismatch = run([
      "bash",
      script,
      "--out",
      out,
      "--cert",
      join(dir, "one.crt"),
      "--key",
      join(dir, "two.key"),
    ]);
    expect(mismatch.code).not.toBe(0);
    expect(mismatch.err).toContain("is not the key of");
    expect(existsSync(join(out, "server.crt"))).toBe(false);
    const ok = run([
      "bash",
      script,
      "--out",
      out,
      "--cert",
      join(dir, "one.crt"),
      "--key",
      join(dir, "one.key"),
    ]);
    expect(ok.code, ok.err).toBe(0);
    expect(readFileSync(join(out, "server.crt"), "utf8")).toBe(readFileSync(join(dir, "one.crt"), "utf8"));
    const again = run([
      "bash",
      script,
      "--out",
      out,
      "--cert",
      join(dir, "two.crt"),
      "--key",
      join(dir, "two.key"),
    ]);
    expect(again.code).not.toBe(0);
    expect(again.err).toContain("--force");
  });
});

describe("deploy.sh with a fake docker", () => {
  let dir: string;
  let bin: string;

  /**
   * Healthy or not per container, from files the test writes. Logs every call. A state "restarting"
   * is the container's status (a crash loop), anything else its health.
   */
  function fakeDocker(health: Record<string, string>) {
    const ids = Object.keys(health);
    writeFakeDocker(
      bin,
      `    # the one-off migrate container: what the API prints (exit 0 even on failure, as podman-compose 1.0.3)
    case "$*" in
      *" run "*" api migrate"*)
        if [ -f "${bin}/migrate-fails" ]; then echo "taskplatform-api: migration 0009_x failed: boom"
        else echo '{"level":"info","msg":"no pending migrations"}'; fi ;;
    esac`,
      `  ps) printf '${ids.join("\\n")}\\n'; exit 0 ;;
  logs) echo "last log line of $3"; exit 0 ;;
  exec)
    # restore.sh --to: pgBackRest's repository (the backup's stop time from a file the test writes), and a
    # server that has left recovery
    case "$*" in
      *"pgbackrest --stanza=taskplatform --output=json info"*) cat "${bin}/pgbackrest-info.json" ;;
      *pg_is_in_recovery*) echo f ;;
    esac
    exit 0 ;;
  inspect)
    tmpl="$3"; id="$4"
    state=running; restarts=0
    if [ "$(cat "${bin}/health-$id")" = restarting ]; then state=restarting; restarts=7; fi
    case "$tmpl" in
      *RestartCount*) echo "/$id|$state|0|$restarts" ;;
      *.Name*) echo "/$id" ;;
      *ExitCode*) echo 0 ;;
      *Health.Log*) echo "probe output for $id" ;;
      *Health.Status*) cat "${bin}/health-$id" ;;
      *State.Status*) echo "$state" ;;
    esac ;;`,
    );
    for (const [id, state] of Object.entries(health)) writeFileSync(join(bin, `health-${id}`), `${state}\n`);
  }

  beforeAll(() => {
    dir = scratchRepo();
    bin = join(dir, "fakebin");
    mkdirSync(bin);
    copyFileSync(join(root, ".env.example"), join(dir, ".env"));
    mkdirSync(join(dir, "secrets/tls"), { recursive: true });
    for (const f of [
      "db_password",
      "redis_password",
      "jwt_secret",
      "smtp_url",
      "grafana_admin_password",
      "tls/server.crt",
      "tls/server.key",
    ]) {
      writeFileSync(join(dir, "secrets", f), "x");
    }
  });

  const deploy = (args: string[]) =>
    run(["bash", join(dir, "scripts/deploy.sh"), ...args], {
      env: { PATH: `${bin}:/usr/bin:/bin`, TP_ENV_FILE: "" },
    });

  test("builds, starts with the project name and replicas, waits and prints the URLs", () => {
    fakeDocker({
      "taskplatform-api-1": "healthy",
      "taskplatform-proxy-1": "healthy",
      "taskplatform-redis-1": "running",
    });
    const res = deploy(["--replicas", "3", "--timeout", "5"]);
    expect(res.code, res.err).toBe(0);
    const calls = readFileSync(join(bin, "calls.log"), "utf8");
    expect(calls).toContain("compose -p taskplatform -f compose.yaml build");
    expect(calls).toContain("compose -p taskplatform -f compose.yaml up -d --no-build --scale api=3");
    expect(res.err).toContain("all 3 containers healthy");
    expect(res.err).toContain("TaskPlatform:  https://localhost/");
    expect(res.err).toContain("Grafana:       http://127.0.0.1:3001/");
  });

  test("times out naming the service that is not healthy, with its probe output and logs", () => {
    rmSync(join(bin, "calls.log"), { force: true });
    fakeDocker({ "taskplatform-api-1": "healthy", "taskplatform-proxy-1": "unhealthy" });
    const res = deploy(["--no-build", "--timeout", "0"]);
    expect(res.code).not.toBe(0);
    expect(res.err).toContain("NOT HEALTHY after 0s");
    expect(res.err).toContain("taskplatform-proxy-1: unhealthy");
    expect(res.err).toContain("probe output for taskplatform-proxy-1");
    expect(res.err).not.toContain("taskplatform-api-1: healthy");
    expect(readFileSync(join(bin, "calls.log"), "utf8")).not.toContain(" build");
  });

  test("starts only the services named", () => {
    rmSync(join(bin, "calls.log"), { force: true });
    fakeDocker({ "taskplatform-api-1": "healthy" });
    const res = deploy(["--no-build", "--timeout", "5", "postgres", "redis", "api", "proxy"]);
    expect(res.code, res.err).toBe(0);
    expect(readFileSync(join(bin, "calls.log"), "utf8")).toContain(
      "compose -p taskplatform -f compose.yaml up -d --no-build --scale api=2 postgres redis api proxy",
    );
  });

  test("migrates with a one-off api container before starting the replicas; a failed migration stops it", () => {
    rmSync(join(bin, "calls.log"), { force: true });
    fakeDocker({ "taskplatform-api-1": "healthy" });
    const ok = deploy(["--no-build", "--timeout", "5"]);
    expect(ok.code, ok.err).toBe(0);
    const calls = readFileSync(join(bin, "calls.log"), "utf8");
    const migrate = calls.indexOf(
      "compose -p taskplatform -f compose.yaml run --rm -T --no-deps -e LOG_LEVEL=info api migrate",
    );
    expect(migrate).toBeGreaterThan(
      calls.indexOf("compose -p taskplatform -f compose.yaml up -d --no-recreate postgres"),
    );
    expect(calls.indexOf("up -d --no-build --scale api=2")).toBeGreaterThan(migrate);

    // only services without the api: nothing to migrate
    rmSync(join(bin, "calls.log"), { force: true });
    expect(deploy(["--no-build", "--timeout", "5", "prometheus"]).code).toBe(0);
    expect(readFileSync(join(bin, "calls.log"), "utf8")).not.toContain(" run ");

    rmSync(join(bin, "calls.log"), { force: true });
    writeFileSync(join(bin, "migrate-fails"), "");
    try {
      const failed = deploy(["--no-build", "--timeout", "5"]);
      expect(failed.code).not.toBe(0);
      expect(failed.err).toContain("taskplatform-api: migration 0009_x failed: boom");
      expect(failed.err).toContain(
        "migrations failed (output above): no api replica was started or replaced",
      );
      expect(readFileSync(join(bin, "calls.log"), "utf8")).not.toContain("--scale");
    } finally {
      rmSync(join(bin, "migrate-fails"));
    }
  });

  test("restore.sh --to drives the stack: checks first, then api and postgres down, pgBackRest restore in a one-off container, back up", () => {
    const restore = (args: string[]) =>
      run(["bash", join(dir, "scripts/restore.sh"), ...args], {
        env: { PATH: `${bin}:/usr/bin:/bin`, TP_ENV_FILE: "" },
      });
    const info = (code: number, stop: number) =>
      writeFileSync(
        join(bin, "pgbackrest-info.json"),
        JSON.stringify([
          {
            name: "taskplatform",
            status: { code, message: code === 0 ? "ok" : "no valid backups" },
            backup: code === 0 ? [{ label: "20260101-030000F", timestamp: { start: stop - 60, stop } }] : [],
          },
        ]),
      );
    fakeDocker({ "taskplatform-db": "healthy", "taskplatform-api-1": "healthy" });
    const compose = "compose -p taskplatform -f compose.yaml";

    // refused before anything is stopped: no backup, or none that ended before the time
    for (const [code, stop, message] of [
      [2, 0, "REFUSED: pgBackRest stanza 'taskplatform': no valid backups"],
      [0, Date.parse("2026-02-01T00:00:00Z") / 1000, "REFUSED: no backup ended before 2026-01-01"],
    ] as const) {
      rmSync(join(bin, "calls.log"), { force: true });
      info(code, stop);
      const refused = restore(["--yes", "--to", "2026-01-01 00:00:00+00"]);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(message);
      expect(readFileSync(join(bin, "calls.log"), "utf8")).not.toContain(" stop ");
    }

    rmSync(join(bin, "calls.log"), { force: true });
    info(0, Date.parse("2025-12-31T03:00:00Z") / 1000);
    const res = restore(["--yes", "--to", "2026-01-01 00:00:00+00"]);
    expect(res.code, res.err).toBe(0);
    expect(res.err).toContain("backup 20260101-030000F covers 2026-01-01 00:00:00.000000+00");
    const calls = readFileSync(join(bin, "calls.log"), "utf8").trim().split("\n");
    const order = [
      "exec -i taskplatform-db pgbackrest --stanza=taskplatform --output=json info",
      "exec -i taskplatform-db psql -U taskplatform -d taskplatform -X -q -c SELECT txid_current()",
      "exec -i taskplatform-db pgbackrest --stanza=taskplatform check",
      `${compose} stop api`,
      `${compose} stop postgres`,
      `${compose} run --rm --no-deps -T postgres mkdir -p -m 0700 /var/lib/postgresql/data/pgdata`,
      `${compose} run --rm --no-deps -T postgres pgbackrest --stanza=taskplatform --delta --type=time --target=2026-01-01 00:00:00.000000+00 --target-action=promote restore`,
      `${compose} start postgres`,
      "exec -i taskplatform-db psql -U taskplatform -d taskplatform -X -At -c SELECT pg_is_in_recovery()",
      `${compose} start api`,
    ];
    // every step happened, in this order
    expect(order.filter((call) => !calls.includes(call))).toEqual([]);
    const at = order.map((call) => calls.indexOf(call));
    expect(at).toEqual([...at].sort((a, b) => a - b));
    expect(calls.some((c) => c.includes("FLUSHALL"))).toBe(true);
    expect(res.err).toContain("stack healthy");
  });

  test("fails at once, not at the timeout, when a container crash-loops (restarting)", () => {
    fakeDocker({ "taskplatform-api-1": "healthy", "taskplatform-postgres-1": "restarting" });
    const started = Date.now();
    const res = deploy(["--no-build", "--timeout", "120"]);
    expect(res.code).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(res.err).toContain("BROKEN after");
    expect(res.err).toContain("taskplatform-postgres-1: restarting");
    expect(res.err).toContain("probe output for taskplatform-postgres-1");
  });

  test("with Podman every container is checked although `podman healthcheck run` reads stdin (issue 24)", () => {
    // podman-compose + podman fakes: the healthcheck swallows stdin like the real one; the 4th of 5
    // containers is unhealthy. A `while read` over the ids used to check only the first one.
    const ids = ["tp_postgres_1", "tp_redis_1", "tp_api_1", "tp_proxy_1", "tp_prometheus_1"];
    const podman = `#!/bin/sh
echo "$*" >> "${bin}/podman-calls.log"
case "$1" in
  ps) case "$*" in *service=api*) echo tp_api_1 ;; *) printf '${ids.join("\\n")}\\n' ;; esac ;;
  healthcheck) cat >/dev/null; [ "$(cat "${bin}/phealth-$3")" = healthy ] ;;
  exec) exit 1 ;;
  logs) echo "last log line of $3" ;;
  inspect)
    tmpl="$3"; id="$4"
    case "$tmpl" in
      *RestartCount*) echo "$id|running|0|0" ;;
      *health-exec*) echo "<no value>" ;;
      *State.Healthcheck*) cat "${bin}/phealth-$id" ;;
      *Config.Healthcheck*) echo "[CMD-SHELL true]" ;;
      *.Name*) echo "$id" ;;
      *ExitCode*) echo 0 ;;
      *State.Status*) echo running ;;
    esac ;;
esac
`;
    writeFileSync(join(bin, "podman"), podman);
    chmodSync(join(bin, "podman"), 0o755);
    writeFileSync(
      join(bin, "podman-compose"),
      // its one-off migrate run answers as the API does when there is nothing to apply
      `#!/bin/sh\necho "podman-compose $*" >> "${bin}/podman-calls.log"\ncase "$*" in *" migrate"*) echo '{"level":"info","msg":"no pending migrations"}' ;; esac\n`,
    );
    chmodSync(join(bin, "podman-compose"), 0o755);
    for (const id of ids)
      writeFileSync(join(bin, `phealth-${id}`), id === "tp_proxy_1" ? "unhealthy\n" : "healthy\n");
    try {
      const res = run(["bash", join(dir, "scripts/deploy.sh"), "--no-build", "--timeout", "0"], {
        env: { PATH: `${bin}:/usr/bin:/bin`, TP_ENV_FILE: "", TP_ENGINE: "podman" },
      });
      expect(res.code, res.err).not.toBe(0);
      expect(res.err).toContain("tp_proxy_1: unhealthy");
      const calls = readFileSync(join(bin, "podman-calls.log"), "utf8");
      for (const id of ids) expect(calls).toContain(`healthcheck run ${id}`);
      // podman-compose 1.0.3 ignores --scale: said, not silent
      expect(res.err).toContain("ignores --scale");
      for (const id of ids) writeFileSync(join(bin, `phealth-${id}`), "healthy\n");
      const ok = run(["bash", join(dir, "scripts/deploy.sh"), "--no-build", "--timeout", "5"], {
        env: { PATH: `${bin}:/usr/bin:/bin`, TP_ENV_FILE: "", TP_ENGINE: "podman" },
      });
      expect(ok.code, ok.err).toBe(0);
      expect(ok.err).toContain("all 5 containers healthy");
    } finally {
      rmSync(join(bin, "podman"));
      rmSync(join(bin, "podman-compose"));
    }
  });

  test("refuses to start without the secrets setup.sh makes", () => {
    fakeDocker({ a: "healthy" });
    rmSync(join(dir, "secrets/jwt_secret"));
    const res = deploy(["--no-build"]);
    expect(res.code).not.toBe(0);
    expect(res.err).toContain("missing secrets/jwt_secret: run ./scripts/setup.sh first");
    writeFileSync(join(dir, "secrets/jwt_secret"), "x");
  });

  test("without any engine: a clear message", () => {
    const res = run(["bash", join(dir, "scripts/deploy.sh")], { env: { PATH: NO_ENGINE_PATH } });
    expect(res.code).not.toBe(0);
    expect(res.err).toContain("no container engine found");
    const backup = run(["bash", join(dir, "scripts/backup.sh")], { env: { PATH: NO_ENGINE_PATH } });
    expect(backup.code).not.toBe(0);
    expect(backup.err).toContain("no container engine found");
  });
});

describe("the compose policy suite bites", () => {
  test("a compose file with violations fails the policy suite, naming them", () => {
    const dir = mkdtempSync(join(tmpdir(), "tp-policy-"));
    cleanup.push(dir);
    let text = readFileSync(join(root, "compose.yaml"), "utf8");
    // redis without cap_drop, a password in the api's environment, postgres published
    text = text.replace(/( {2}redis:\n[\s\S]*?) {4}cap_drop:\n {6}- ALL\n/, "$1");
    text = text.replace(
      '      TRUST_PROXY: "true"\n',
      '      TRUST_PROXY: "true"\n      ADMIN_PASSWORD: hunter2\n',
    );
    text = text.replace("    user: postgres\n", '    user: postgres\n    ports:\n      - "5432:5432"\n');
    const file = join(dir, "compose.yaml");
    writeFileSync(file, text);
    const res = run(["bun", "test", "./scripts/test/compose-policy.suite.ts"], {
      env: { TP_COMPOSE_FILE: file },
    });
    const out = res.out + res.err;
    expect(res.code).not.toBe(0);
    expect(out).toMatch(/\(fail\) service redis > cap_drop ALL/);
    expect(out).toMatch(/\(fail\) service api > no secret in environment/);
    expect(out).toMatch(/\(fail\) service postgres > published ports/);
    expect(out).toMatch(/ 3 fail/);
  });
});

describe("upgrade.sh with a fake docker", () => {
  let dir: string;
  let bin: string;
  const address = (id: string) =>
    `10.0.0.${id.startsWith("new") ? 10 + Number(id.slice(-1)) : Number(id.slice(-1))}`;

  /**
   * Two old api replicas and a proxy; `compose up --scale` adds new-1 and new-2. Per container: its
   * status (file status-ID, default running) and whether its healthcheck passes (file unhealthy-ID);
   * the proxy's access log is the file proxy-log. Every call is logged.
   */
  function fakeDocker() {
    writeFakeDocker(
      bin,
      `    case "$*" in
      *" run "*" api migrate"*) echo '{"level":"info","msg":"no pending migrations"}' ;;
      *" up -d --no-deps --no-recreate --scale api=4 api"*) printf 'new-1\\nnew-2\\n' >> "${bin}/api-ids" ;;
    esac`,
      `  ps)
    case "$*" in
      *service=api*) cat "${bin}/api-ids" ;;
      *service=proxy*) echo proxy-1 ;;
    esac
    exit 0 ;;
  image) exit 0 ;;
  logs) [ "$4" = proxy-1 ] && cat "${bin}/proxy-log"; exit 0 ;;
  exec)
    case "$*" in
      *healthcheck*) for id in "$@"; do [ -f "${bin}/unhealthy-$id" ] && exit 1; done ;;
    esac
    exit 0 ;;
  inspect)
    tmpl="$3"; id="$4"
    case "$tmpl" in
      *Networks*) case "$id" in new-*) n=1$(echo "$id" | tr -dc 0-9) ;; *) n=$(echo "$id" | tr -dc 0-9) ;; esac
        echo "taskplatform_backend 10.9.9.$n"; echo "taskplatform_frontend 10.0.0.$((n))" ;;
      *health-exec*) echo "/app/taskplatform-api healthcheck" ;;
      *State.Status*) cat "${bin}/status-$id" 2>/dev/null || echo running ;;
    esac ;;
  stop | rm) for id in "$@"; do grep -vx "$id" "${bin}/api-ids" > "${bin}/ids.tmp"; mv "${bin}/ids.tmp" "${bin}/api-ids"; done ;;`,
    );
  }

  /** A fresh scene: old-1 and old-2 run; the proxy served `ok` answers and `errors` 502s from new-1. */
  function scene(ok: number, errors: number, state: Record<string, string> = {}) {
    rmSync(bin, { recursive: true, force: true });
    mkdirSync(bin);
    fakeDocker();
    writeFileSync(join(bin, "api-ids"), "old-1\nold-2\n");
    const line = (status: number) =>
      `{"msg":"access","status":${status},"upstreamAddr":"10.0.0.2:4000, ${address("new-1")}:4000"}\n`;
    writeFileSync(join(bin, "proxy-log"), line(200).repeat(ok) + line(502).repeat(errors));
    for (const [id, what] of Object.entries(state)) {
      if (what === "unhealthy") writeFileSync(join(bin, `unhealthy-${id}`), "");
      else writeFileSync(join(bin, `status-${id}`), `${what}\n`);
    }
  }

  beforeAll(() => {
    dir = scratchRepo();
    bin = join(dir, "fakebin");
  });

  const upgrade = (args: string[]) =>
    run(["bash", join(dir, "scripts/upgrade.sh"), "--no-build", "--canary", "0", ...args], {
      env: { PATH: `${bin}:/usr/bin:/bin`, TP_ENV_FILE: "" },
    });
  const calls = () => readFileSync(join(bin, "calls.log"), "utf8");
  const upstreamsSet = () =>
    [...calls().matchAll(/API_UPSTREAM=([^\n]*?) proxy-1/g)].map((m) => m[1]?.trim());

  test("healthy new replicas: migrate, switch the proxy to them, drain and remove the old, back to the service name", () => {
    scene(200, 1);
    const res = upgrade([]);
    expect(res.code, res.err).toBe(0);
    expect(res.err).toContain("canary passed: 201 answers, 1 5xx");
    expect(upstreamsSet()).toEqual(["10.0.0.11:4000 10.0.0.12:4000", "api:4000"]);
    const log = calls();
    expect(log).toContain("run --rm -T --no-deps -e LOG_LEVEL=info api migrate");
    // the old replicas stop only after the proxy sends everything to the new ones
    expect(log.indexOf("stop -t 30 old-1 old-2")).toBeGreaterThan(log.indexOf("API_UPSTREAM=10.0.0.11"));
    expect(log).toContain("rm old-1 old-2");
    expect(log).not.toMatch(/^(stop|rm) .*new-/m);
  });

  test("too many 5xx from the new replicas in the canary: back to the old replicas, exit 3", () => {
    scene(90, 10);
    const res = upgrade(["--max-5xx", "0.05"]);
    expect(res.code).toBe(3);
    expect(res.err).toContain("10 of 100 answers of the new replicas were 5xx (more than 0.05)");
    expect(res.err).toContain("rolled back: the 2 previous replica(s) serve as before");
    expect(upstreamsSet()).toEqual([
      "10.0.0.11:4000 10.0.0.12:4000",
      "10.0.0.1:4000 10.0.0.2:4000",
      "api:4000",
    ]);
    expect(calls()).toContain("rm -f new-1 new-2");
    expect(calls()).not.toMatch(/stop -t \d+ old-1/);
  });

  test("a new replica that crash-loops: never switched to, removed, exit 3", () => {
    scene(0, 0, { "new-2": "restarting" });
    const res = upgrade([]);
    expect(res.code).toBe(3);
    expect(res.err).toContain("new replica new-2 exited");
    expect(upstreamsSet()).toEqual(["api:4000"]);
    expect(calls()).toContain("rm -f new-1 new-2");
  });

  test("a new replica that never passes its healthcheck: rolled back at the timeout", () => {
    scene(0, 0, { "new-1": "unhealthy" });
    const res = upgrade(["--timeout", "0"]);
    expect(res.code).toBe(3);
    expect(res.err).toContain("new replica new-1 not healthy after 0s");
  });

  test("--dry-run prints the plan and changes nothing; bad options are refused before any engine call", () => {
    scene(0, 0);
    const dry = upgrade(["--dry-run"]);
    expect(dry.code, dry.err).toBe(0);
    expect(dry.err).toContain(
      "start 2 new replica(s) of localhost/taskplatform-api:latest beside the old ones",
    );
    expect(calls()).not.toContain(" up ");
    for (const [args, message] of [
      [["--image", "x;rm"], "--image must be an image tag"],
      [["--max-5xx", "2"], "--max-5xx must be a ratio"],
      [["--canary", "soon"], "take seconds"],
    ] as const) {
      const res = upgrade([...args]);
      expect(res.code).toBe(1);
      expect(res.err).toContain(message);
    }
  });
});
