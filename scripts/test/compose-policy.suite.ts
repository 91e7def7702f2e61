// Policy for compose.yaml, applied to EVERY service (the monitoring ones appended by observability/ too),
// plus: podman-compose 1.0.3 (Debian) accepts the file and turns it into the podman flags we expect.
// Run: bun test ./scripts/test/compose-policy.suite.ts
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

setDefaultTimeout(60_000);

const root = join(import.meta.dir, "../..");
// TP_COMPOSE_FILE: check another file (scripts.suite.ts feeds it broken copies to prove the checks bite).
const composeFile = process.env.TP_COMPOSE_FILE ?? join(root, "compose.yaml");
const raw = readFileSync(composeFile, "utf8");

type Dict = Record<string, unknown>;
interface Service extends Dict {
  image?: string;
  build?: unknown;
  user?: string;
  ports?: unknown[];
  networks?: string[] | Dict;
  environment?: Dict | string[];
  healthcheck?: Dict;
  depends_on?: unknown;
  labels?: Dict | string[];
  secrets?: (string | Dict)[];
  container_name?: string;
}

/** compose-style ${VAR}, ${VAR:-default}, ${VAR:?err} with the values .env.example gives. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?([-?])([^}]*))?\}/g, (match, name, op, arg) => {
    if (match === "$$") return "$";
    const value = vars[name];
    if (value !== undefined && value !== "") return value;
    if (op === "?") throw new Error(`required variable ${name}: ${arg}`);
    return op === "-" ? arg : "";
  });
}

function envExample(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(join(root, ".env.example"), "utf8").split("\n")) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars[m[1] as string] = m[2] as string;
  }
  return vars;
}

const vars = envExample();
const doc = Bun.YAML.parse(interpolate(raw, vars)) as Dict;
const services = doc.services as Record<string, Service>;
const networks = (doc.networks ?? {}) as Record<string, Dict | null>;

function labelsOf(svc: Service): Record<string, string> {
  if (Array.isArray(svc.labels)) {
    return Object.fromEntries(
      svc.labels.map((l) => String(l).split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
  }
  return (svc.labels ?? {}) as Record<string, string>;
}

function networksOf(svc: Service): string[] {
  if (!svc.networks) return ["default"];
  return Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks);
}

function envOf(svc: Service): Record<string, string> {
  if (Array.isArray(svc.environment)) {
    return Object.fromEntries(
      svc.environment.map((e) => String(e).split(/=(.*)/s).slice(0, 2) as [string, string]),
    );
  }
  return Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k, v]) => [k, String(v ?? "")]));
}

/** Host IP and host port of a published port, short or long syntax. */
function published(port: unknown): { hostIp: string; hostPort: string } {
  if (typeof port === "object" && port) {
    const p = port as Dict;
    return { hostIp: String(p.host_ip ?? "0.0.0.0"), hostPort: String(p.published ?? "") };
  }
  const parts = String(port).split(":");
  if (parts.length === 3) return { hostIp: parts[0] as string, hostPort: parts[1] as string };
  if (parts.length === 2) return { hostIp: "0.0.0.0", hostPort: parts[0] as string };
  return { hostIp: "0.0.0.0", hostPort: "(random)" };
}

const names = Object.keys(services);
const isExporter = (name: string) => /exporter/.test(name);

describe("compose.yaml structure", () => {
  test("core services, networks, volumes and secrets exist", () => {
    for (const name of ["postgres", "redis", "api", "proxy"]) expect(names).toContain(name);
    expect(Object.keys(networks).sort()).toEqual(
      expect.arrayContaining(["backend", "frontend", "monitoring"]),
    );
    expect(networks.backend?.internal).toBe(true);
    const volumes = Object.keys((doc.volumes ?? {}) as Dict);
    for (const v of ["postgres_data", "redis_data", "prometheus_data", "grafana_data"])
      expect(volumes).toContain(v);
    const secrets = (doc.secrets ?? {}) as Record<string, Dict>;
    for (const s of [
      "db_password",
      "redis_password",
      "jwt_secret",
      "grafana_admin_password",
      "tls_cert",
      "tls_key",
    ]) {
      expect(secrets[s]?.file, s).toBeString();
    }
  });

  test("no top-level keys docker-compose 1.29 or podman-compose 1.0.3 reject", () => {
    for (const key of Object.keys(doc)) {
      expect(
        ["services", "networks", "volumes", "secrets", "configs"].includes(key) || key.startsWith("x-"),
        key,
      ).toBe(true);
    }
  });

  test("the monitoring marker line is present (observability/ appends services after it)", () => {
    expect(raw).toContain("  # --- monitoring services (observability/) below this line ---");
  });

  test(".env.example sets every variable compose.yaml reads", () => {
    const used = new Set([...raw.matchAll(/\$\{([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1] as string));
    const missing = [...used].filter((name) => !(name in vars));
    expect(missing).toEqual([]);
  });

  test("required variables fail fast", () => {
    expect(() => interpolate(raw, {})).toThrow(/required variable POSTGRES_USER/);
    expect(raw).toMatch(/\$\{POSTGRES_DB:\?/);
  });

  test("images are pinned (no latest, no untagged third-party images)", () => {
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.image, name).toBeString();
      const image = svc.image as string;
      if (svc.build) {
        expect(image, name).toStartWith("localhost/taskplatform-");
        continue;
      }
      expect(image, name).toMatch(
        /^[a-z0-9.-]+\.[a-z]+\/.+:(?!latest$)[\w.-]+(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$/,
      );
    }
    // postgres: built from db/Containerfile (the official image plus pgBackRest), pinned there
    expect(services.postgres?.image).toStartWith("localhost/taskplatform-db:");
    expect(readFileSync(join(root, "db/Containerfile"), "utf8")).toMatch(
      /^FROM docker\.io\/library\/postgres:15\.14-bookworm$/m,
    );
    expect(services.redis?.image).toBe("docker.io/library/redis:7.4.5-bookworm");
  });
});

describe.each(names)("service %s", (name) => {
  const svc = services[name] as Service;
  const labels = labelsOf(svc);
  const exempt = (what: string) => labels[`org.taskplatform.policy.${what}`];

  test("has a healthcheck", () => {
    const test = svc.healthcheck?.test;
    expect(test, "healthcheck.test").toBeDefined();
    expect(svc.healthcheck?.disable).not.toBe(true);
    const first = Array.isArray(test) ? test[0] : test;
    expect(first).not.toBe("NONE");
  });

  test("restart: unless-stopped", () => {
    expect(svc.restart).toBe("unless-stopped");
  });

  test("CPU and memory limits (cpus + mem_limit: honoured by all three compose tools)", () => {
    const cpus = Number(svc.cpus);
    expect(cpus).toBeGreaterThan(0);
    expect(cpus).toBeLessThanOrEqual(2);
    expect(String(svc.mem_limit)).toMatch(/^\d+(\.\d+)?[kmg]b?$/i);
  });

  test("cap_drop ALL, only named capabilities added back, no-new-privileges", () => {
    expect(svc.cap_drop).toEqual(["ALL"]);
    for (const cap of (svc.cap_add ?? []) as string[]) {
      expect([
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "SETUID",
        "SETGID",
        "NET_BIND_SERVICE",
        "SYS_PTRACE",
      ]).toContain(cap);
    }
    expect(svc.security_opt).toContain("no-new-privileges:true");
    expect(svc.privileged).not.toBe(true);
    expect(svc.network_mode).not.toBe("host");
    expect(svc.pid).not.toBe("host");
  });

  test("read-only root filesystem (or a stated reason)", () => {
    if (svc.read_only !== true) {
      expect(
        exempt("writable-root"),
        "read_only: true or label org.taskplatform.policy.writable-root",
      ).toBeString();
    }
  });

  test("a non-root user (or a stated reason)", () => {
    if (exempt("root-user")) return;
    expect(svc.user, "user: or label org.taskplatform.policy.root-user").toBeDefined();
    expect(String(svc.user)).not.toMatch(/^(0|root)(:|$)/);
  });

  test("no secret in environment: (secrets come as *_FILE)", () => {
    for (const [key, value] of Object.entries(envOf(svc))) {
      if (
        /(^|_)(PASS|PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIALS?)(_|$)/i.test(key) &&
        !/_FILE$|__FILE$/.test(key)
      ) {
        throw new Error(`${name}: ${key} in environment: use a secret file and ${key}_FILE`);
      }
      if (/_FILE$/.test(key)) expect(value, key).toStartWith("/run/secrets/");
      // no credentials inside URLs either
      expect(value, key).not.toMatch(/:\/\/[^/@\s:]+:[^/@\s]+@/);
    }
    for (const secret of svc.secrets ?? []) {
      const source = typeof secret === "string" ? secret : String((secret as Dict).source);
      expect(Object.keys((doc.secrets ?? {}) as Dict), `${name} uses undeclared secret ${source}`).toContain(
        source,
      );
    }
  });

  test("published ports: only the proxy publicly; others loopback only; never the database or Redis", () => {
    const ports = (svc.ports ?? []).map(published);
    if (name === "postgres" || name === "redis" || /postgres|redis/.test(svc.image ?? "")) {
      expect(ports, "database/Redis must not publish ports").toEqual([]);
      expect(svc.network_mode).toBeUndefined();
    }
    if (name === "api") expect(ports, "api replicas are reached through the proxy only").toEqual([]);
    if (name !== "proxy") {
      for (const p of ports)
        expect(p.hostIp, `${name} publishes on ${p.hostIp}`).toMatch(/^(127\.0\.0\.1|\[?::1\]?)$/);
    }
    // Typed names for the single-instance services the docs use (taskplatform-db, taskplatform-redis), always
    // prefixed with the project name so that two projects on one host do not collide; never for the api,
    // whose replicas need one name each.
    if (name === "api") expect(svc.container_name, "fixed container names break scaling").toBeUndefined();
    if (svc.container_name !== undefined) {
      expect(svc.container_name).toMatch(/^taskplatform-[a-z0-9-]+$/);
      expect(raw).toContain(
        `container_name: \${COMPOSE_PROJECT_NAME:-taskplatform}-${svc.container_name.slice(13)}\n`,
      );
    }
  });

  test("network membership", () => {
    const nets = networksOf(svc);
    expect(nets).not.toContain("default");
    for (const net of nets) expect(Object.keys(networks)).toContain(net);
    if (name === "postgres" || name === "redis") expect(nets).toEqual(["backend"]);
    if (name === "proxy") {
      expect(nets).toContain("frontend");
      expect(nets).not.toContain("backend");
    }
    if (name === "api") expect(nets.sort()).toEqual(["backend", "frontend", "monitoring"]);
    if (nets.includes("backend")) {
      expect(["postgres", "redis", "api"].includes(name) || isExporter(name), `${name} on backend`).toBe(
        true,
      );
    }
    if (nets.includes("frontend")) expect(["proxy", "api"], `${name} on frontend`).toContain(name);
  });

  test("depends_on uses conditions (long syntax)", () => {
    if (!svc.depends_on) return;
    expect(Array.isArray(svc.depends_on), "depends_on as a mapping with condition").toBe(false);
    for (const [dep, spec] of Object.entries(svc.depends_on as Record<string, Dict>)) {
      expect(names).toContain(dep);
      expect(["service_healthy", "service_started", "service_completed_successfully"]).toContain(
        String(spec?.condition),
      );
      if (services[dep]?.healthcheck) expect(spec?.condition, `${name} -> ${dep}`).toBe("service_healthy");
    }
  });
});

describe("specific wiring", () => {
  test("api: scalable, secrets by file, behind the proxy", () => {
    const api = services.api as Service;
    const env = envOf(api);
    expect(env.DATABASE_URL).toBe(`postgres://${vars.POSTGRES_USER}@postgres:5432/${vars.POSTGRES_DB}`);
    expect(env.DATABASE_PASSWORD_FILE).toBe("/run/secrets/db_password");
    expect(env.REDIS_PASSWORD_FILE).toBe("/run/secrets/redis_password");
    expect(env.JWT_SECRET_FILE).toBe("/run/secrets/jwt_secret");
    expect(env.TRUST_PROXY).toBe("true");
    expect(api.healthcheck?.test).toEqual(["CMD", "/app/taskplatform-api", "healthcheck"]);
    expect(labelsOf(api)["org.taskplatform.health-exec"]).toBe("/app/taskplatform-api healthcheck");
  });

  test("proxy publishes 80/443 from the unprivileged 8080/8443 and gets the certificate as secrets", () => {
    const proxy = services.proxy as Service;
    const ports = (proxy.ports ?? []).map(String);
    expect(ports).toEqual(["0.0.0.0:80:8080", "0.0.0.0:443:8443"]);
    expect(proxy.secrets).toEqual(["tls_cert", "tls_key"]);
    expect(String(proxy.user)).toBe("101:101");
  });

  test("redis: AOF on, password from the secret file and never on the command line", () => {
    const command = ((services.redis as Service).command as string[]).join(" ");
    expect(command).toContain("--appendonly yes");
    expect(command).toContain("/run/secrets/redis_password");
    expect(command).toContain("requirepass");
    expect(command).not.toContain("--requirepass");
  });

  test("postgres: password from a file, data on the named volume", () => {
    const pg = services.postgres as Service;
    expect(envOf(pg).POSTGRES_PASSWORD_FILE).toBe("/run/secrets/db_password");
    expect(JSON.stringify(pg.volumes)).toContain("postgres_data:/var/lib/postgresql/data");
  });

  test("Grafana and Prometheus (when present) publish on loopback by default", () => {
    for (const [name, svc] of Object.entries(services)) {
      if (!/grafana|prometheus$/.test(name)) continue;
      for (const p of (svc.ports ?? []).map(published)) expect(p.hostIp, name).toBe("127.0.0.1");
    }
  });
});

describe("podman-compose (Debian 1.0.3) accepts the file", () => {
  let dir: string;
  let output: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tp-podman-compose-"));
    // No podman here: a stand-in that answers --version; --dry-run prints the podman commands instead of running them.
    const fake = join(dir, "podman");
    writeFileSync(
      fake,
      '#!/bin/sh\ncase "$1" in --version) echo "podman version 4.3.1";; *) echo "[]";; esac\n',
    );
    chmodSync(fake, 0o755);
    const res = Bun.spawnSync(
      [
        "podman-compose",
        "--dry-run",
        "--podman-path",
        fake,
        "-p",
        "taskplatform",
        "-f",
        join(root, "compose.yaml"),
        "up",
        "--no-build",
        "-d",
      ],
      { cwd: root, env: { ...process.env, ...vars }, stdout: "pipe", stderr: "pipe" },
    );
    output = res.stdout.toString() + res.stderr.toString();
    if (res.exitCode !== 0) throw new Error(`podman-compose failed (${res.exitCode}):\n${output}`);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function runLine(service: string): string {
    // podman-compose names containers <project>_<service>_1 unless compose gives a container_name
    const name =
      (doc.services as Record<string, Service>)[service]?.container_name ?? `taskplatform_${service}_1`;
    const line = output.split("\n").find((l) => l.includes(` run --name=${name} `));
    if (!line) throw new Error(`no podman run for ${service} in:\n${output}`);
    return line;
  }

  test("every service becomes a hardened podman run", () => {
    for (const name of names) {
      const line = runLine(name);
      expect(line, name).toContain("--cap-drop ALL");
      expect(line, name).toContain("--security-opt no-new-privileges:true");
      expect(line, name).toContain("--restart unless-stopped");
      expect(line, name).toMatch(/--cpus [\d.]+/);
      expect(line, name).toMatch(/ -m \d+[kmg]/i);
      expect(line, name).toContain("--healthcheck-command");
      if (services[name]?.read_only) expect(line, name).toContain("--read-only");
    }
  });

  test("secrets are mounted as files, networks as declared", () => {
    const api = runLine("api");
    expect(api).toContain("/run/secrets/jwt_secret:ro");
    expect(api).toMatch(/--net [^ ]*taskplatform_backend/);
    expect(runLine("postgres")).toContain("--net taskplatform_backend ");
    expect(runLine("proxy")).toContain("-p 0.0.0.0:80:8080");
    expect(runLine("proxy")).not.toContain("backend");
  });
});

describe("docker-compose 1.29 (Debian) accepts the file", () => {
  test("docker-compose config validates it against its schema", () => {
    const bin = Bun.which("docker-compose");
    if (!bin) throw new Error("docker-compose not installed (apt-get install docker-compose)");
    const res = Bun.spawnSync([bin, "-p", "taskplatform", "-f", composeFile, "config", "-q"], {
      cwd: root,
      env: { ...process.env, ...vars },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(res.stderr.toString()).toBe("");
    expect(res.exitCode).toBe(0);
  });

  test("without the required variables it fails fast, naming one", () => {
    const bin = Bun.which("docker-compose");
    if (!bin) throw new Error("docker-compose not installed (apt-get install docker-compose)");
    const env: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
    const empty = join(mkdtempSync(join(tmpdir(), "tp-noenv-")), "empty.env");
    writeFileSync(empty, "");
    const res = Bun.spawnSync([bin, "--env-file", empty, "-p", "x", "-f", composeFile, "config", "-q"], {
      cwd: root,
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    rmSync(join(empty, ".."), { recursive: true, force: true });
    expect(res.exitCode).not.toBe(0);
    expect(res.stderr.toString()).toMatch(/POSTGRES_(USER|DB)/);
  });
});
