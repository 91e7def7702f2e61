// The Swarm stack file (deploy/swarm/) against compose.yaml, the overlay and the official checkers.
// Needs no engine: renders with .env.example into a temporary folder and reads the file back as
// `docker stack deploy` would (`$$` → `$`).
//  - every compose service is rendered, or left out with a reason
//  - each rendered service matches its compose service (image, environment, secrets, healthcheck,
//    ulimits, volumes, limits, hardening) except where the overlay names a change and says why
//  - the Swarm specifics: API spread and start-first, proxy global in host mode, one member per node
//  - docker-compose config, yamllint, promtool (and `docker stack config` where the client has it)
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { bytes, durationMs, interpolateDeep, parseDotEnv } from "../../lib/compose-file.ts";
import {
  CARRIED_KEYS,
  type Compose,
  type ComposeService,
  DROPPED_KEYS,
  loadInput,
  render,
  repoRoot,
  secretRef,
  TRANSLATED_KEYS,
  writeStack,
  yaml11Safe,
} from "../render-stack.ts";

type Dict = Record<string, unknown>;
// The official checkers are other programs (docker-compose is Python and compiles its modules on a first
// run): on a fresh, loaded CI machine one start alone took over the 5 s default.
setDefaultTimeout(60_000);

const ALL_PROFILES = "grafana,logs,containers,probes";
const env = parseDotEnv(readFileSync(join(repoRoot, ".env.example"), "utf8"));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Renders into a fresh folder; returns the stack as docker stack deploy reads it. */
function renderTo(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "tp-swarm-"));
  dirs.push(dir);
  const result = writeStack(dir, { ...env, ...extra });
  const text = readFileSync(join(dir, "stack.yml"), "utf8");
  const stack = Bun.YAML.parse(text.replaceAll("$$", "$")) as {
    version: string;
    services: Record<string, Dict>;
    networks: Record<string, Dict>;
    volumes: Record<string, Dict>;
    secrets: Record<string, { external?: boolean; name?: string }>;
    configs: Record<string, { file: string; name: string }>;
  };
  return { dir, text, stack, result };
}

const { compose: composeRaw, overlay: overlayRaw } = loadInput();
const compose = interpolateDeep(composeRaw, { ...env, COMPOSE_PROFILES: ALL_PROFILES });
const overlay = interpolateDeep(overlayRaw, env);
const full = renderTo({ COMPOSE_PROFILES: ALL_PROFILES });
const plain = renderTo();

/** The rendered services that come from compose service `name` (from the overlay's naming alone). */
function renderedFrom(name: string, services: Record<string, Dict>): { name: string; i?: number }[] {
  const ov = overlay.services[name];
  if (!ov?.instances) return name in services ? [{ name }] : [];
  return Array.from({ length: ov.instances }, (_, k) => ({
    name: (ov.name_pattern ?? `${name}{i}`).replaceAll("{i}", String(k + 1)),
    i: k + 1,
  })).filter((r) => r.name in services);
}

const sub = <T>(v: T, i?: number): T =>
  i === undefined ? v : (JSON.parse(JSON.stringify(v).replaceAll("{i}", String(i))) as T);

/** Differences between a compose service and a rendered Swarm service not explained by the overlay. */
function drift(name: string, svc: ComposeService, out: Dict, i?: number, dir = full.dir): string[] {
  const diffs: string[] = [];
  const ov = overlay.services[name] ?? {};
  const change = sub(ov.change ?? {}, i);
  const eq = (what: string, want: unknown, got: unknown) => {
    if (JSON.stringify(want) !== JSON.stringify(got))
      diffs.push(
        `${name}${i ?? ""}: ${what}: expected ${JSON.stringify(want)}, rendered ${JSON.stringify(got)}`,
      );
  };
  const expected = (key: string) =>
    Object.hasOwn(change, key) ? (change[key]?.value ?? undefined) : svc[key];

  eq("image", expected("image"), out.image);
  for (const key of [
    "user",
    "command",
    "entrypoint",
    "healthcheck",
    "ulimits",
    "logging",
    "labels",
    "networks",
  ])
    eq(key, expected(key), out[key]);
  eq("read_only", svc.read_only, out.read_only);
  eq("cap_drop", svc.cap_drop, out.cap_drop);
  eq(
    "stop_grace_period",
    durationMs(svc.stop_grace_period as string),
    durationMs(out.stop_grace_period as string),
  );

  // environment: compose's, with the overlay's variables (each with a why)
  const want: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.environment ?? {})) want[k] = v === null ? "" : String(v);
  for (const [k, r] of Object.entries(sub(ov.environment ?? {}, i))) {
    if (!r.why) diffs.push(`${name}: environment ${k} changed without a why`);
    if (r.value === null) delete want[k];
    else want[k] = r.value;
  }
  eq("environment", want, out.environment ?? {});

  eq("secrets", [...(svc.secrets ?? []), ...(ov.secrets_added ?? []).map(secretRef)], out.secrets ?? []);

  // volumes: named → one per member; absolute binds as they are; repository files → configs (same bytes)
  const mounts = (out.volumes as (string | Dict)[] | undefined) ?? [];
  const configs = (out.configs as { source: string; target: string }[] | undefined) ?? [];
  for (const v of (expected("volumes") as string[] | undefined) ?? []) {
    const [source = "", target = "", mode] = v.split(":");
    if (source.startsWith(".")) {
      const path = resolve(repoRoot, source);
      const files = statSync(path).isDirectory() ? null : [[path, target]];
      for (const [file, to] of files ?? []) {
        const config = configs.find((c) => c.target === to);
        if (!config) diffs.push(`${name}: ${v} is no config`);
        else
          eq(
            `config ${to}`,
            readFileSync(file as string, "utf8"),
            readFileSync(join(dir, full.stack.configs[config.source]?.file ?? "-"), "utf8"),
          );
      }
      if (!files && !configs.some((c) => c.target.startsWith(`${target}/`)))
        diffs.push(`${name}: ${v} has no configs`);
    } else if (source.startsWith("{rendered}/")) {
      if (!configs.some((c) => c.target === target)) diffs.push(`${name}: ${v} is no config`);
    } else if (source.startsWith("/")) {
      if (!mounts.includes(v)) diffs.push(`${name}: bind mount ${v} missing`);
    } else {
      const volume = [i === undefined ? source : `${source}_${i}`, target, mode].filter(Boolean).join(":");
      if (!mounts.includes(volume)) diffs.push(`${name}: volume ${volume} missing`);
    }
  }
  const tmpfs = svc.tmpfs === undefined ? [] : Array.isArray(svc.tmpfs) ? svc.tmpfs : [svc.tmpfs];
  for (const t of tmpfs)
    if (!mounts.some((m) => typeof m !== "string" && m.type === "tmpfs" && m.target === t))
      diffs.push(`${name}: tmpfs ${t} missing`);
  if (svc.shm_size !== undefined) {
    const shm = mounts.find((m) => typeof m !== "string" && m.target === "/dev/shm") as
      | { tmpfs?: { size?: number } }
      | undefined;
    eq("shm_size", bytes(svc.shm_size as string), shm?.tmpfs?.size);
  }

  // limits and restart
  const deploy = (out.deploy ?? {}) as {
    resources?: { limits?: { cpus?: string; memory?: string } };
    restart_policy?: { condition?: string };
  };
  eq("cpus", Number(svc.cpus), Number(deploy.resources?.limits?.cpus));
  eq("mem_limit", bytes(svc.mem_limit as string), bytes(deploy.resources?.limits?.memory));
  eq("restart", svc.restart === "unless-stopped" ? "any" : svc.restart, deploy.restart_policy?.condition);

  for (const [key, r] of Object.entries(change))
    if (!r.why) diffs.push(`${name}: change.${key} without a why`);
  return diffs;
}

describe("what is rendered", () => {
  test("every compose service is rendered or left out with a reason", () => {
    const unaccounted = Object.keys(compose.services).filter(
      (name) => renderedFrom(name, full.stack.services).length === 0 && !overlay.services[name]?.left_out,
    );
    expect(unaccounted).toEqual([]);
    for (const [name, why] of Object.entries(full.result.leftOut)) {
      expect({ name, why: why.length > 20 }).toEqual({ name, why: true });
      expect(renderedFrom(name, full.stack.services)).toEqual([]);
    }
  });

  test("every rendered service comes from a compose service or is added by the overlay with a why", () => {
    const fromCompose = new Set(
      Object.keys(compose.services).flatMap((n) => renderedFrom(n, full.stack.services).map((r) => r.name)),
    );
    const added = Object.values(overlay.added).flatMap((a) => {
      expect(a.why.length).toBeGreaterThan(20);
      return Array.from({ length: a.instances }, (_, k) => a.name_pattern.replaceAll("{i}", String(k + 1)));
    });
    expect(Object.keys(full.stack.services).sort()).toEqual([...fromCompose, ...added].sort());
  });

  test("compose profiles decide as with compose: optional services only with COMPOSE_PROFILES", () => {
    const optional = Object.entries(compose.services)
      .filter(([name, s]) => (s.profiles ?? []).length && !overlay.services[name]?.left_out)
      .map(([name]) => name);
    expect(optional.length).toBeGreaterThan(0);
    for (const name of optional) {
      expect({ name, plain: name in plain.stack.services }).toEqual({ name, plain: false });
      expect({ name, full: name in full.stack.services }).toEqual({ name, full: true });
    }
  });

  test("every key compose.yaml uses is carried, translated or dropped with a reason", () => {
    const known = new Set<string>([
      ...CARRIED_KEYS,
      ...Object.keys(TRANSLATED_KEYS),
      ...Object.keys(DROPPED_KEYS),
    ]);
    const used = new Set(Object.values(composeRaw.services).flatMap((s) => Object.keys(s)));
    expect([...used].filter((k) => !known.has(k))).toEqual([]);
  });

  test("a compose key the renderer does not know stops the render", () => {
    const mutated = structuredClone(composeRaw);
    (mutated.services.api as Dict).pids_limit = 100;
    expect(() => render({ compose: mutated, overlay: overlayRaw, env, outDir: full.dir })).toThrow(
      /pids_limit/,
    );
    const published = structuredClone(composeRaw);
    (published.services.redis as Dict).ports = ["6379:6379"];
    expect(() => render({ compose: published, overlay: overlayRaw, env, outDir: full.dir })).toThrow(/ports/);
  });
});

describe("drift against compose.yaml", () => {
  for (const name of Object.keys(composeRaw.services)) {
    test(`service ${name}: image, environment, secrets, healthcheck, ulimits, volumes, limits match`, () => {
      const targets = renderedFrom(name, full.stack.services);
      if (overlay.services[name]?.left_out) return expect(targets).toEqual([]);
      expect(targets.length).toBeGreaterThan(0);
      for (const t of targets)
        expect(
          drift(name, compose.services[name] as ComposeService, full.stack.services[t.name] as Dict, t.i),
        ).toEqual([]);
    });
  }

  test("the drift check itself catches drift (mutated rendered service)", () => {
    const out = structuredClone(full.stack.services.api as Dict);
    out.image = `${out.image}-drifted`;
    (out.healthcheck as Dict).retries = 99;
    (out.environment as Dict).JWT_SECRET_FILE = "/elsewhere";
    (out.volumes as unknown[]).pop();
    const diffs = drift("api", compose.services.api as ComposeService, out);
    for (const what of ["image", "healthcheck", "environment", "tmpfs"])
      expect(diffs.join("\n")).toContain(what);
  });
});

describe("the Swarm specifics", () => {
  const s = full.stack.services;
  const dep = (name: string) =>
    (s[name]?.deploy ?? {}) as Dict & {
      placement?: { constraints?: string[]; max_replicas_per_node?: number; preferences?: Dict[] };
      update_config?: Dict;
      rollback_config?: Dict;
    };

  test("format 3.8, external secrets named <stack>_<name>, overlay networks (backend with a route out for DNS)", () => {
    expect(full.stack.version).toBe("3.8");
    for (const [name, def] of Object.entries(full.stack.secrets))
      expect(def).toEqual({ external: true, name: `taskplatform_${name}` });
    for (const def of Object.values(full.stack.networks)) expect(def.driver).toBe("overlay");
    // internal in compose; in Swarm, Docker's DNS must answer for the names of lost members (overlay.yaml)
    expect(full.stack.networks.backend?.internal).toBeUndefined();
    expect(overlay.networks.internal?.backend?.why).toContain("DNS");
    expect(full.stack.networks.backend?.driver_opts).toEqual({ encrypted: "true" });
    expect(
      renderTo({ SWARM_OVERLAY_ENCRYPTED: "false" }).stack.networks.backend?.driver_opts,
    ).toBeUndefined();
  });

  test("every service is reached by DNS round robin (no IPVS needed); SWARM_ENDPOINT_MODE=vip switches", () => {
    for (const name of Object.keys(s)) expect([name, dep(name).endpoint_mode]).toEqual([name, "dnsrr"]);
    const vip = renderTo({ SWARM_ENDPOINT_MODE: "vip" }).stack.services;
    for (const svc of Object.values(vip)) expect((svc.deploy as Dict).endpoint_mode).toBe("vip");
  });

  test("api: replicas spread one per node, start-first updates rolled back on failure, liveness probe", () => {
    expect(dep("api").replicas).toBe(2);
    expect(dep("api").placement?.max_replicas_per_node).toBe(1);
    expect(dep("api").placement?.preferences).toEqual([{ spread: "node.id" }]);
    expect(dep("api").update_config).toMatchObject({
      order: "start-first",
      failure_action: "rollback",
      parallelism: 1,
    });
    expect(dep("api").rollback_config).toMatchObject({ order: "start-first" });
    // Swarm kills an unhealthy task: readiness would take every replica away during a database failover
    expect((s.api?.healthcheck as Dict | undefined)?.test).toEqual([
      "CMD",
      "/app/taskplatform-api",
      "healthcheck",
      "--live",
    ]);
    expect((s.api?.environment as Dict | undefined)?.DATABASE_URL).toBe(
      "postgres://taskplatform@pg1:5432,pg2:5432,pg3:5432/taskplatform?target_session_attrs=read-write",
    );
    expect(s.api?.environment).toMatchObject({
      REDIS_SENTINELS: "sentinel1:26379,sentinel2:26379,sentinel3:26379",
      REDIS_SENTINEL_NAME: "taskplatform",
    });
    expect(s.api?.environment).not.toHaveProperty("REDIS_URL");
  });

  test("proxy: on every node, 80/443 published in host mode, upstream tasks.api", () => {
    expect(dep("proxy").mode).toBe("global");
    expect(s.proxy?.ports).toEqual([
      { target: 8080, published: 80, protocol: "tcp", mode: "host" },
      { target: 8443, published: 443, protocol: "tcp", mode: "host" },
    ]);
    expect((s.proxy?.environment as Dict | undefined)?.API_UPSTREAM).toBe("tasks.api:4000");
    expect(dep("proxy").update_config).toMatchObject({ order: "stop-first" });
    const published = Object.entries(s).filter(([, svc]) => (svc.ports as unknown[] | undefined)?.length);
    expect(published.map(([n]) => n)).toEqual(["proxy"]);
  });

  test("one Patroni, etcd, Redis and Sentinel member per node label, each with its own volumes", () => {
    for (const [prefix, label] of [
      ["pg", "tp.pg"],
      ["etcd", "tp.pg"],
      ["redis", "tp.redis"],
      ["sentinel", "tp.redis"],
    ]) {
      for (const i of [1, 2, 3]) {
        expect(dep(`${prefix}${i}`).placement?.constraints).toEqual([`node.labels.${label} == ${i}`]);
        const named = ((s[`${prefix}${i}`]?.volumes ?? []) as unknown[]).filter(
          (v): v is string => typeof v === "string",
        );
        expect(named.length).toBeGreaterThan(0);
        for (const v of named) expect(v.split(":")[0]).toEndWith(`_${i}`);
      }
    }
    expect((s.pg2?.environment as Dict | undefined)?.PATRONI_NAME).toBe("pg2");
    expect(s.pg1?.command).toBeUndefined();
    expect(((s.redis2?.command as string[] | undefined) ?? []).join(" ")).toContain(
      "replica-announce-ip redis2",
    );
  });

  test("global node-exporter, alloy and cadvisor; monitoring state on the tp.monitoring node", () => {
    for (const name of ["node-exporter", "alloy", "cadvisor"]) expect(dep(name).mode).toBe("global");
    for (const name of ["prometheus", "alertmanager", "grafana", "loki"])
      expect(dep(name).placement?.constraints).toEqual(["node.labels.tp.monitoring == true"]);
  });

  test("one pgBackRest repository (tp.monitoring node, its volume) that every member archives to over TLS", () => {
    const repository = s.pgbackrest ?? {};
    expect(dep("pgbackrest").placement?.constraints).toEqual(["node.labels.tp.monitoring == true"]);
    expect(repository.volumes).toContain("pgbackrest_repo_1:/var/lib/pgbackrest");
    expect(repository.command).toEqual(["pgbackrest-repository"]);
    const key = { uid: "0", gid: "999", mode: 0o440 };
    expect(repository.secrets).toContainEqual({ source: "pgbackrest_repository_key", ...key });
    for (const i of [1, 2, 3]) {
      const member = s[`pg${i}`] ?? {};
      expect((member.environment as Dict).BACKUP_REPOSITORY_HOST).toBe("pgbackrest");
      expect(member.secrets).toContainEqual({ source: "pgbackrest_member_key", ...key });
      // no repository of its own: one per node would split the archive
      expect((member.volumes as unknown[]).some((v) => String(v).includes("pgbackrest"))).toBe(false);
      expect(repository.environment as Dict).toHaveProperty(`PGBACKREST_PG${i}_USER`, env.POSTGRES_USER);
    }
    const conf = readFileSync(join(repoRoot, "db/patroni/pgbackrest-repository.conf"), "utf8");
    for (const i of [1, 2, 3]) expect(conf).toContain(`pg${i}-host=pg${i}\n`);
  });

  test("every service: restart policy, rollback on a failed update, limits", () => {
    for (const [name] of Object.entries(s)) {
      expect({ name, restart: dep(name).restart_policy }).toMatchObject({
        name,
        restart: { condition: "any" },
      });
      expect({ name, failure: dep(name).update_config?.failure_action }).toEqual({
        name,
        failure: "rollback",
      });
      expect({ name, limits: Boolean((dep(name).resources as Dict | undefined)?.limits) }).toEqual({
        name,
        limits: true,
      });
    }
  });

  test("configs: content-addressed names Swarm accepts (≤ 64 characters), files next to the stack", () => {
    for (const [key, def] of Object.entries(full.stack.configs)) {
      expect(def.name.length).toBeLessThanOrEqual(64);
      expect(def.name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/);
      expect(key).toMatch(/_[0-9a-f]{10}$/);
      expect(existsSync(join(full.dir, def.file))).toBe(true);
    }
  });

  test("SWARM_ATTACHMENTS_NFS: every node mounts the same attachments export", () => {
    expect(full.stack.volumes.attachments).toEqual({});
    expect(renderTo({ SWARM_ATTACHMENTS_NFS: "nas.internal:/exports/tp" }).stack.volumes.attachments).toEqual(
      {
        driver: "local",
        driver_opts: { type: "nfs", o: "addr=nas.internal,rw,nfsvers=4", device: ":/exports/tp" },
      },
    );
    expect(() => renderTo({ SWARM_ATTACHMENTS_NFS: "nas;rm -rf /" })).toThrow(/host:\/path/);
  });

  test("SWARM_REGISTRY: the images built here come from the private registry", () => {
    const { stack } = renderTo({ SWARM_REGISTRY: "registry.internal:5000" });
    expect(stack.services.api?.image).toBe("registry.internal:5000/taskplatform-api:latest");
    expect(stack.services.etcd1?.image).toBe("registry.internal:5000/taskplatform-db-ha:latest");
    expect(stack.services.redis1?.image).toBe("docker.io/library/redis:7.4.5-bookworm");
  });

  test("every external secret is created by scripts/swarm/secrets.sh from the file compose uses", () => {
    const script = readFileSync(join(repoRoot, "scripts/swarm/secrets.sh"), "utf8");
    const created = Object.fromEntries(
      (script.match(/SECRET_FILES=\(([\s\S]*?)\)/)?.[1] ?? "")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.split("=") as [string, string]),
    );
    for (const name of Object.keys(full.stack.secrets))
      expect({ name, created: name in created }).toEqual({ name, created: true });
    for (const [name, def] of Object.entries((compose as Compose).secrets ?? {}))
      expect({ name, file: created[name] }).toEqual({ name, file: def.file?.replace(/^\.\/secrets\//, "") });
  });
});

describe("the official checkers", () => {
  const run = (cmd: string[], cwd = full.dir) => {
    const bin = Bun.which(cmd[0] as string);
    if (!bin) throw new Error(`${cmd[0]} not found: apt-get install the packages in .ci/apt-packages`);
    const r = Bun.spawnSync([bin, ...cmd.slice(1)], { cwd, stdout: "pipe", stderr: "pipe" });
    return { code: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
  };

  test("docker-compose config accepts the stack file", () => {
    expect(run(["docker-compose", "-f", "stack.yml", "config", "-q"])).toMatchObject({ code: 0 });
  });

  test("values a YAML 1.1 reader would misread are quoted (user 472:0 is no base-60 number)", () => {
    expect(full.text).toContain('user: "472:0"');
    expect(full.text).toContain('user: "65532:65532"');
    expect(yaml11Safe("a:\n  - on\n  b: 1:2\n  c: true\n  d: x:1\n")).toBe(
      'a:\n  - "on"\n  b: "1:2"\n  c: true\n  d: x:1\n',
    );
  });

  test("yamllint: stack.yml and prometheus.yml", () => {
    const config = "{extends: default, rules: {line-length: disable, document-start: disable}}";
    expect(run(["yamllint", "-s", "-d", config, "stack.yml", "prometheus.yml"])).toEqual({
      code: 0,
      out: "",
    });
  });

  test("docker stack config (the stack deploy loader) accepts it, where the client has the command", () => {
    const help = run(["docker", "stack", "config", "--help"]);
    if (help.code !== 0) return; // docker.io 20.10's client has no `stack config`; the checks above remain
    const r = run(["docker", "stack", "config", "-c", "stack.yml"]);
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toContain("max_replicas_per_node: 1");
  });

  test("promtool: the rendered Prometheus configuration, with Swarm DNS discovery of every task", () => {
    const text = readFileSync(join(full.dir, "prometheus.yml"), "utf8");
    const conf = Bun.YAML.parse(text) as {
      scrape_configs: { job_name: string; dns_sd_configs?: { names: string[] }[] }[];
    };
    const names = (job: string) =>
      conf.scrape_configs.find((j) => j.job_name === job)?.dns_sd_configs?.[0]?.names;
    expect(names("api")).toEqual(["tasks.api"]);
    expect(names("postgres")).toEqual([
      "tasks.postgres-exporter1",
      "tasks.postgres-exporter2",
      "tasks.postgres-exporter3",
    ]);
    expect(names("patroni")).toEqual(["tasks.pg1", "tasks.pg2", "tasks.pg3"]);
    expect(names("etcd")).toEqual(["tasks.etcd1", "tasks.etcd2", "tasks.etcd3"]);
    const r = run(["promtool", "check", "config", "--syntax-only", "prometheus.yml"]);
    expect(r).toMatchObject({ code: 0 });
  });
});
