// Quadlet units (systemd/) against Quadlet itself and against compose.yaml. Needs only bun and bash.
//  - every unit parses; only keys Quadlet knows in the minimum Podman version (allow-list per section)
//  - every referenced network, volume, secret, image and unit exists
//  - each .container matches its compose service: image, environment, healthcheck, limits, networks,
//    volumes, secrets, ports, user, command, hardening. Any drift fails.
// Units carry ${VAR:-default} placeholders that deploy-quadlet.sh fills from .env, so both sides are
// compared after rendering with .env.example.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  allowedSections,
  bytes,
  durationMs,
  hasUnescapedSystemdChars,
  interpolate,
  interpolateDeep,
  keyValues,
  last,
  loadUnits,
  MIN_PODMAN,
  parseDotEnv,
  parseUnit,
  renderUnits,
  repoRoot,
  splitWords,
  systemdDir,
  systemdExpand,
  type Unit,
  values,
} from "./quadlet-lib.ts";

/** Compose services that are optional tools (`profiles:`) and deliberately have no Quadlet unit, with why
 * (also in systemd/README.md). */
const OPTIONAL_WITHOUT_UNIT: Record<string, string> = {
  cadvisor:
    "reads the Docker socket and /var/lib/docker as root; rootless Quadlet containers are plain systemd services, whose CPU/memory systemd already accounts (systemd-cgtop, node-exporter)",
};

/**
 * Where a unit must differ from its compose service: the compose side as it becomes under Quadlet (a
 * volume replaced by others, keyed by its container path; labels), with why (also in the unit).
 */
const QUADLET_DIFFERENCES: Record<
  string,
  {
    why: string;
    volumes?: Record<string, string[]>;
    labels?: Record<string, string>;
    /** depends_on services that are Wants= (not Requires=) + After= in the unit */
    wants?: string[];
  }
> = {
  proxy: {
    why: "stopping or restarting API replica 1 (upgrade, podman auto-update) must not stop the proxy",
    wants: ["api"],
  },
  alloy: {
    why: "containers log to journald under Quadlet: Alloy reads the journal, not the Docker API",
    volumes: {
      "/etc/alloy/docker.alloy": [
        `${repoRoot}/observability/alloy/journal.alloy:/etc/alloy/journal.alloy:ro`,
      ],
      "/var/run/docker.sock": ["/var/log/journal:/var/log/journal:ro", "/etc/machine-id:/etc/machine-id:ro"],
    },
    labels: {
      "org.taskplatform.policy.root-user":
        "reads the host's journal (the deploying user's own); no capabilities",
    },
  },
};

/** The `# profile: NAME` marker of an optional unit. */
function unitProfile(unit: Unit): string | undefined {
  return readFileSync(unit.file, "utf8").match(/^# profile: ([a-z0-9_-]+)$/m)?.[1];
}

/** Unit names outside systemd/ that units may depend on. */
const BUILTIN_UNITS = new Set(["default.target", "timers.target", "network-online.target"]);

type Dict = Record<string, unknown>;
interface Service extends Dict {
  image?: string;
  build?: unknown;
  user?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  secrets?: (string | { source: string; target?: string })[];
  volumes?: (string | Dict)[];
  tmpfs?: string | string[];
  networks?: string[] | Record<string, unknown>;
  ports?: (string | Dict)[];
  healthcheck?: {
    test?: string | string[];
    interval?: string;
    timeout?: string;
    retries?: number;
    start_period?: string;
    disable?: boolean;
  };
  restart?: string;
  read_only?: boolean;
  cap_drop?: string[];
  cap_add?: string[];
  security_opt?: string[];
  cpus?: number | string;
  mem_limit?: string | number;
  shm_size?: string | number;
  pids_limit?: number;
  ulimits?: Record<string, number | { soft: number; hard: number }>;
  stop_grace_period?: string;
  labels?: Record<string, string> | string[];
  profiles?: string[];
  depends_on?: string[] | Record<string, unknown>;
}

const env = parseDotEnv(readFileSync(join(repoRoot, ".env.example"), "utf8"));
const composeRaw = Bun.YAML.parse(readFileSync(join(repoRoot, "compose.yaml"), "utf8")) as {
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
};
const compose = interpolateDeep(composeRaw, env);
const templates = loadUnits();
let renderDir = "";
let rendered: Unit[] = [];
const byName = (units: Unit[], name: string) => units.find((u) => u.name === name);

beforeAll(() => {
  renderDir = renderUnits("tp-quadlet-");
  rendered = loadUnits(renderDir);
}, 30_000);

afterAll(() => {
  if (renderDir) rmSync(renderDir, { recursive: true, force: true });
});

/** Extra API replicas written by render (API_REPLICAS in .env.example), compared with the primary. */
const replicaRe = /^taskplatform-api-(\d+)\.container$/;
const containerUnits = () => rendered.filter((u) => u.kind === "container" && !replicaRe.test(u.name));
/** taskplatform-NAME.container → compose service NAME */
const serviceName = (u: Unit) => u.name.replace(/\.container$/, "").replace(/^taskplatform-/, "");
const unitFor = (service: string) => `taskplatform-${service}.container`;
const serviceUnit = (service: string) => `taskplatform-${service}.service`;

describe("unit files", () => {
  test("there are container, network and volume units, a target, and a backup service + timer", () => {
    const kinds = new Set(templates.map((u) => u.kind));
    for (const kind of ["container", "network", "volume", "target", "service", "timer"])
      expect(kinds).toContain(kind);
    expect(byName(templates, "taskplatform.target")).toBeDefined();
    expect(byName(templates, "taskplatform-backup.service")).toBeDefined();
    expect(byName(templates, "taskplatform-backup.timer")).toBeDefined();
  });

  test("every unit parses, and renders with .env.example without leftover placeholders", () => {
    expect(rendered.filter((u) => !replicaRe.test(u.name)).map((u) => u.name)).toEqual(
      templates.map((u) => u.name),
    );
    for (const unit of rendered) {
      const text = readFileSync(unit.file, "utf8");
      expect({ unit: unit.name, leftover: text.match(/\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}/g) }).toEqual({
        unit: unit.name,
        leftover: null,
      });
    }
  });

  test(`only sections and keys Quadlet knows in Podman ${MIN_PODMAN} (allow-list)`, () => {
    const unknown: string[] = [];
    for (const unit of templates) {
      const allowed = allowedSections(unit.kind);
      for (const [section, entries] of unit.sections) {
        const keys = allowed[section];
        if (!keys) {
          unknown.push(`${unit.name}: section [${section}]`);
          continue;
        }
        for (const e of entries)
          if (!keys.has(e.key)) unknown.push(`${unit.name}:${e.line}: [${section}] ${e.key}=`);
      }
    }
    expect(unknown).toEqual([]);
  });

  test("the allow-list really rejects keys newer than the minimum version", () => {
    const container = allowedSections("container").Container as Set<string>;
    for (const newer of [
      "Memory",
      "NetworkAlias",
      "StopSignal",
      "HealthLogDestination",
      "ReloadCmd",
      "Retry",
    ]) {
      expect(container.has(newer)).toBe(false);
    }
    expect(container.has("Notify")).toBe(true);
    expect(container.has("StopTimeout")).toBe(true);
    expect((allowedSections("network").Network as Set<string>).has("NetworkName")).toBe(false);
    expect((allowedSections("volume").Volume as Set<string>).has("VolumeName")).toBe(false);
  });

  test("values Quadlet accepts: Notify, AutoUpdate, booleans, Secret options", () => {
    const bad: string[] = [];
    for (const unit of templates.filter((u) => u.kind === "container")) {
      const notify = last(unit, "Container", "Notify");
      if (notify !== undefined && !["true", "false", "healthy"].includes(notify))
        bad.push(`${unit.name}: Notify=${notify}`);
      const auto = last(unit, "Container", "AutoUpdate");
      if (auto !== undefined && !["registry", "local"].includes(auto))
        bad.push(`${unit.name}: AutoUpdate=${auto}`);
      for (const key of ["ReadOnly", "NoNewPrivileges", "RunInit", "EnvironmentHost"]) {
        const v = last(unit, "Container", key);
        if (v !== undefined && !["true", "false", "yes", "no", "1", "0"].includes(v))
          bad.push(`${unit.name}: ${key}=${v}`);
      }
      for (const secret of values(unit, "Container", "Secret")) {
        const [, ...opts] = secret.split(",");
        for (const opt of opts)
          if (!/^(type=(mount|env)|target=\S+|uid=\d+|gid=\d+|mode=0?[0-7]{3})$/.test(opt))
            bad.push(`${unit.name}: Secret option ${opt}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("no unescaped $ or % in [Container] values (systemd would expand them in ExecStart)", () => {
    const bad: string[] = [];
    for (const unit of rendered.filter((u) => u.kind === "container")) {
      for (const e of unit.sections.get("Container") ?? []) {
        if (hasUnescapedSystemdChars(e.value)) bad.push(`${unit.name}:${e.line}: ${e.key}=${e.value}`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("Exec=, Environment= and Label= split cleanly (balanced quotes, known escapes)", () => {
    for (const unit of templates.filter((u) => u.kind === "container")) {
      for (const key of ["Exec", "Environment", "Label", "PodmanArgs"]) {
        for (const v of values(unit, "Container", key)) expect(() => splitWords(v)).not.toThrow();
      }
    }
  });
});

describe("references", () => {
  test("every Network= and Volume= names a .network / .volume unit that exists", () => {
    const missing: string[] = [];
    for (const unit of containerUnits()) {
      for (const n of values(unit, "Container", "Network")) {
        if (!n.endsWith(".network") || !byName(rendered, n)) missing.push(`${unit.name}: Network=${n}`);
      }
      for (const v of values(unit, "Container", "Volume")) {
        const source = v.split(":")[0] ?? "";
        if (
          source.endsWith(".volume")
            ? !byName(rendered, source)
            : !source.startsWith("/") || !existsSync(source)
        ) {
          missing.push(`${unit.name}: Volume=${v}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  test("every Secret= is created by deploy-quadlet.sh from the file compose uses", () => {
    const script = readFileSync(join(systemdDir, "deploy-quadlet.sh"), "utf8");
    const block = script.match(/SECRET_FILES=\(([\s\S]*?)\)/)?.[1] ?? "";
    const created = new Map(
      block
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .map((l) => l.split("=") as [string, string]),
    );
    const composeSecrets = Object.fromEntries(
      Object.entries(compose.secrets ?? {}).map(([name, def]) => [
        name,
        (def?.file ?? "").replace(/^\.\//, ""),
      ]),
    );
    expect(Object.fromEntries(created)).toEqual(composeSecrets);
    const missing: string[] = [];
    for (const unit of containerUnits()) {
      for (const s of values(unit, "Container", "Secret")) {
        const name = (s.split(",")[0] ?? "").replace(/^taskplatform-/, "");
        if (!created.has(name) || !s.startsWith("taskplatform-")) missing.push(`${unit.name}: Secret=${s}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test("every image is pinned (registry) or built locally from a Containerfile compose also builds", () => {
    const bad: string[] = [];
    for (const unit of containerUnits()) {
      const image = last(unit, "Container", "Image") ?? "";
      if (image.startsWith("localhost/")) {
        const svc = compose.services[serviceName(unit)];
        const dockerfile = (svc?.build as { dockerfile?: string } | undefined)?.dockerfile;
        if (!dockerfile) bad.push(`${unit.name}: local image ${image} but compose does not build it`);
        else if (!existsSync(join(repoRoot, dockerfile)))
          bad.push(`${unit.name}: ${dockerfile} does not exist`);
        if (last(unit, "Container", "AutoUpdate") !== "local")
          bad.push(`${unit.name}: local image needs AutoUpdate=local`);
        if (last(unit, "Container", "Pull") !== "never")
          bad.push(`${unit.name}: local image needs Pull=never`);
      } else {
        if (!/^[a-z0-9.-]+\.[a-z]+\/[^:]+:[^:]+$/.test(image) || /:latest$/.test(image)) {
          bad.push(`${unit.name}: ${image} must be fully qualified and pinned`);
        }
        if (last(unit, "Container", "AutoUpdate") !== "registry")
          bad.push(`${unit.name}: AutoUpdate=registry expected`);
      }
    }
    expect(bad).toEqual([]);
  });

  test("every unit named in Requires/Wants/After/PartOf/WantedBy exists", () => {
    const known = new Set<string>(BUILTIN_UNITS);
    for (const u of rendered) {
      if (u.kind === "container") known.add(serviceUnit(serviceName(u)));
      else if (["network", "volume"].includes(u.kind))
        known.add(u.name.replace(/\.(network|volume)$/, "-$1.service"));
      else known.add(u.name);
    }
    const missing: string[] = [];
    for (const u of rendered) {
      for (const [section, keys] of [
        ["Unit", ["Requires", "Wants", "After", "Before", "PartOf", "BindsTo"]],
        ["Install", ["WantedBy", "RequiredBy"]],
        ["Timer", ["Unit"]],
      ] as const) {
        for (const key of keys) {
          for (const v of values(u, section, key)) {
            for (const dep of splitWords(v)) if (!known.has(dep)) missing.push(`${u.name}: ${key}=${dep}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("systemd integration", () => {
  test("every container: Notify=healthy with a healthcheck, hardening, part of taskplatform.target", () => {
    const bad: string[] = [];
    for (const unit of templates.filter((u) => u.kind === "container")) {
      const want: [string, string, string | undefined][] = [
        ["Container", "Notify", "healthy"],
        ["Container", "DropCapability", "ALL"],
        ["Container", "NoNewPrivileges", "true"],
        ["Container", "ReadOnly", "true"],
        ["Container", "LogDriver", "journald"],
        ["Service", "Restart", "always"],
        ["Unit", "PartOf", "taskplatform.target"],
        // optional (compose profile) services are not enabled by default: the target's drop-in adds them
        ["Install", "WantedBy", unitProfile(unit) ? undefined : "taskplatform.target"],
      ];
      for (const [section, key, value] of want) {
        if (last(unit, section, key) !== value)
          bad.push(`${unit.name}: [${section}] ${key}=${value} expected`);
      }
      for (const key of ["HealthCmd", "PidsLimit", "AutoUpdate", "ContainerName"]) {
        if (!last(unit, "Container", key)) bad.push(`${unit.name}: ${key}= missing`);
      }
      const startPeriod = durationMs(last(unit, "Container", "HealthStartPeriod") ?? "0s") ?? 0;
      const timeout =
        durationMs(`${last(unit, "Service", "TimeoutStartSec") ?? "90"}s`.replace(/(\D)s$/, "$1")) ?? 0;
      if (timeout <= startPeriod)
        bad.push(`${unit.name}: TimeoutStartSec must exceed HealthStartPeriod (Notify=healthy)`);
    }
    expect(bad).toEqual([]);
  });

  test("taskplatform.target wants and orders every always-on container, and the backup timer", () => {
    const target = byName(templates, "taskplatform.target") as Unit;
    const wants = values(target, "Unit", "Wants").flatMap(splitWords);
    const after = values(target, "Unit", "After").flatMap(splitWords);
    for (const unit of templates.filter((u) => u.kind === "container")) {
      const svc = serviceUnit(serviceName(unit));
      expect({ svc, wanted: wants.includes(svc), ordered: after.includes(svc) }).toEqual({
        svc,
        wanted: !unitProfile(unit),
        ordered: !unitProfile(unit),
      });
    }
    expect(wants).toContain("taskplatform-backup.timer");
    expect(last(target, "Install", "WantedBy")).toBe("default.target");
  });

  test("API_REPLICAS: render writes replicas 2..N that differ from the primary only in name", () => {
    const replicas = rendered.filter((u) => replicaRe.test(u.name));
    expect(replicas.length).toBe(Number(env.API_REPLICAS ?? 2) - 1);
    const primary = readFileSync(join(renderDir, "taskplatform-api.container"), "utf8");
    for (const unit of replicas) {
      const n = unit.name.match(replicaRe)?.[1] as string;
      const expected = primary
        .replace(/^ContainerName=taskplatform-api$/m, `ContainerName=taskplatform-api-${n}`)
        .replace(/^Description=(.*)$/m, `Description=$1 (replica ${n})`);
      const text = readFileSync(unit.file, "utf8").replace(
        /^# generated by deploy-quadlet\.sh: replica .*\n/,
        "",
      );
      expect(text).toBe(expected);
      // same network alias: the proxy's upstream `api` resolves to every replica, as under compose
      expect(values(unit, "Container", "PodmanArgs").join(" ")).toContain("--network-alias=api");
      expect(last(unit, "Install", "WantedBy")).toBe("taskplatform.target");
    }
  });

  test("COMPOSE_PROFILES adds the optional services to the target (drop-in), and only those", () => {
    // renderUnits throws unless render exits 0.
    const dir = renderUnits("tp-quadlet-profiles-", { COMPOSE_PROFILES: "grafana,logs" });
    const dropin = parseUnit(
      readFileSync(join(dir, "taskplatform.target.d", "50-profiles.conf"), "utf8"),
      "50-profiles.conf",
    );
    const optional = templates.filter(
      (u) => u.kind === "container" && ["grafana", "logs"].includes(unitProfile(u) ?? ""),
    );
    expect(optional.length).toBeGreaterThan(0);
    expect(values(dropin, "Unit", "Wants").sort()).toEqual(
      optional.map((u) => serviceUnit(serviceName(u))).sort(),
    );
    expect(values(dropin, "Unit", "After").sort()).toEqual(
      optional.map((u) => serviceUnit(serviceName(u))).sort(),
    );
    const none = readFileSync(join(renderDir, "taskplatform.target.d", "50-profiles.conf"), "utf8");
    expect(none).not.toContain("Wants=");
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  test("backup: oneshot service running deploy-quadlet.sh backup, daily persistent timer", () => {
    const service = byName(rendered, "taskplatform-backup.service") as Unit;
    const timer = byName(rendered, "taskplatform-backup.timer") as Unit;
    expect(last(service, "Service", "Type")).toBe("oneshot");
    expect(last(service, "Service", "ExecStart")).toBe(`${repoRoot}/systemd/deploy-quadlet.sh backup`);
    expect(values(service, "Unit", "Requires").flatMap(splitWords)).toContain(
      "taskplatform-postgres.service",
    );
    expect(last(timer, "Timer", "OnCalendar")).toBe("daily");
    expect(last(timer, "Timer", "Persistent")).toBe("true");
    expect(last(timer, "Timer", "Unit")).toBe("taskplatform-backup.service");
  });
});

// ------------------------------------------------------------------------------------------------- drift
function composeEnv(svc: Service): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(svc.environment)) {
    for (const item of svc.environment) {
      const eq = item.indexOf("=");
      out[eq < 0 ? item : item.slice(0, eq)] = eq < 0 ? "" : item.slice(eq + 1);
    }
  } else {
    for (const [k, v] of Object.entries(svc.environment ?? {})) out[k] = v === null ? "" : String(v);
  }
  return out;
}

function composeCommand(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.map(String) : splitWords(value);
}

function podmanArg(unit: Unit, flag: string): string | undefined {
  const words = values(unit, "Container", "PodmanArgs").flatMap(splitWords);
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === flag) return words[i + 1];
    if (w.startsWith(`${flag}=`)) return w.slice(flag.length + 1);
  }
  return undefined;
}

function composeVolume(v: string | Dict): string {
  if (typeof v !== "string") {
    const d = v as { type?: string; source?: string; target?: string; read_only?: boolean };
    return `${d.source}:${d.target}${d.read_only ? ":ro" : ""}`;
  }
  return v;
}

/** Differences between a compose service and its rendered .container unit. */
function drift(name: string, svc: Service, unit: Unit): string[] {
  const diffs: string[] = [];
  const eq = (what: string, composeValue: unknown, unitValue: unknown) => {
    if (JSON.stringify(composeValue) !== JSON.stringify(unitValue)) {
      diffs.push(
        `${name}: ${what}: compose ${JSON.stringify(composeValue)} != unit ${JSON.stringify(unitValue)}`,
      );
    }
  };
  const sorted = (xs: string[]) => [...xs].sort();

  eq("image", svc.image, last(unit, "Container", "Image"));
  eq("user", svc.user, last(unit, "Container", "User"));

  const cEnv = composeEnv(svc);
  const uEnv = Object.fromEntries(keyValues(unit, "Container", "Environment"));
  eq("environment names", sorted(Object.keys(cEnv)), sorted(Object.keys(uEnv)));
  for (const k of Object.keys(cEnv)) if (k in uEnv) eq(`environment ${k}`, cEnv[k], uEnv[k]);

  // healthcheck
  const hc = svc.healthcheck;
  const rawCmd = last(unit, "Container", "HealthCmd");
  if (!hc?.test || hc.disable) {
    diffs.push(`${name}: compose has no healthcheck (Notify=healthy needs one)`);
  } else {
    const t = Array.isArray(hc.test) ? hc.test.map(String) : ["CMD-SHELL", hc.test];
    const unitCmd = rawCmd === undefined ? undefined : systemdExpand(rawCmd);
    if (t[0] === "CMD") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(unitCmd ?? "");
      } catch {
        parsed = unitCmd;
      }
      eq("healthcheck test (exec form)", t.slice(1), parsed);
    } else if (t[0] === "CMD-SHELL") {
      eq("healthcheck test (shell form)", t[1], unitCmd);
    } else {
      diffs.push(`${name}: unsupported healthcheck test ${JSON.stringify(t)}`);
    }
    eq(
      "healthcheck interval",
      durationMs(hc.interval ?? "30s"),
      durationMs(last(unit, "Container", "HealthInterval") ?? "30s"),
    );
    eq(
      "healthcheck timeout",
      durationMs(hc.timeout ?? "30s"),
      durationMs(last(unit, "Container", "HealthTimeout") ?? "30s"),
    );
    eq("healthcheck retries", hc.retries ?? 3, Number(last(unit, "Container", "HealthRetries") ?? 3));
    eq(
      "healthcheck start_period",
      durationMs(hc.start_period ?? "0s"),
      durationMs(last(unit, "Container", "HealthStartPeriod") ?? "0s"),
    );
  }

  // limits
  eq(
    "cpus",
    svc.cpus === undefined ? undefined : Number(svc.cpus),
    podmanArg(unit, "--cpus") === undefined ? undefined : Number(podmanArg(unit, "--cpus")),
  );
  eq("mem_limit", bytes(svc.mem_limit), bytes(podmanArg(unit, "--memory")));
  eq("shm_size", bytes(svc.shm_size), bytes(last(unit, "Container", "ShmSize")));
  if (svc.pids_limit !== undefined)
    eq("pids_limit", svc.pids_limit, Number(last(unit, "Container", "PidsLimit")));
  eq(
    "ulimits",
    sorted(
      Object.entries(svc.ulimits ?? {}).map(([limit, value]) =>
        typeof value === "number" ? `${limit}=${value}:${value}` : `${limit}=${value.soft}:${value.hard}`,
      ),
    ),
    sorted(values(unit, "Container", "Ulimit")),
  );

  // networks (+ the service name as DNS alias on them)
  const cNets = Array.isArray(svc.networks) ? svc.networks : Object.keys(svc.networks ?? { default: null });
  eq(
    "networks",
    sorted(cNets.map((n) => `taskplatform-${n}.network`)),
    sorted(values(unit, "Container", "Network")),
  );
  eq("network alias", name, podmanArg(unit, "--network-alias"));

  // storage and secrets
  const cVols = (svc.volumes ?? []).map(composeVolume).map((v) => {
    const [src = "", ...rest] = v.split(":");
    if (src.startsWith("./") || src.startsWith("../") || src === ".")
      return [join(repoRoot, src), ...rest].join(":");
    if (src.startsWith("/")) return v;
    return [`taskplatform-${src}.volume`, ...rest].join(":");
  });
  // `z` (SELinux relabel) is added to the repository bind mounts under Quadlet; it changes no content
  const unitVols = values(unit, "Container", "Volume").map((v) =>
    v.replace(/:([^:]*)$/, (_m, opts: string) => {
      const kept = opts.split(",").filter((o) => o !== "z" && o !== "Z");
      return kept.length ? `:${kept.join(",")}` : "";
    }),
  );
  const translated = cVols.flatMap((v) => QUADLET_DIFFERENCES[name]?.volumes?.[v.split(":")[1] ?? ""] ?? [v]);
  eq("volumes", sorted(translated), sorted(unitVols));
  const cTmpfs = svc.tmpfs === undefined ? [] : Array.isArray(svc.tmpfs) ? svc.tmpfs : [svc.tmpfs];
  eq("tmpfs", sorted(cTmpfs), sorted(values(unit, "Container", "Tmpfs")));
  const cSecrets = (svc.secrets ?? []).map((s) =>
    typeof s === "string"
      ? `taskplatform-${s},type=mount,target=/run/secrets/${s}`
      : `taskplatform-${s.source},type=mount,target=${(s.target ?? s.source).startsWith("/") ? s.target : `/run/secrets/${s.target ?? s.source}`}`,
  );
  eq("secrets", sorted(cSecrets), sorted(values(unit, "Container", "Secret")));

  // ports, command, entrypoint
  const cPorts = (svc.ports ?? []).map((p) => (typeof p === "string" ? p : JSON.stringify(p)));
  eq("ports", sorted(cPorts), sorted(values(unit, "Container", "PublishPort")));
  const exec = last(unit, "Container", "Exec");
  eq(
    "command",
    composeCommand(svc.command),
    exec === undefined ? undefined : splitWords(exec).map(systemdExpand),
  );
  // Entrypoint= takes a JSON array (exec form) or a single command
  const entry = last(unit, "Container", "Entrypoint");
  const unitEntry =
    entry === undefined
      ? undefined
      : entry.startsWith("[")
        ? (JSON.parse(systemdExpand(entry)) as string[])
        : splitWords(entry).map(systemdExpand);
  eq("entrypoint", composeCommand(svc.entrypoint), unitEntry);
  eq("profile", (svc.profiles ?? [])[0], unitProfile(unit));

  // hardening and lifecycle
  eq("read_only", svc.read_only === true, last(unit, "Container", "ReadOnly") === "true");
  eq(
    "cap_drop",
    sorted(svc.cap_drop ?? []),
    sorted(values(unit, "Container", "DropCapability").flatMap(splitWords)),
  );
  eq(
    "cap_add",
    sorted(svc.cap_add ?? []),
    sorted(values(unit, "Container", "AddCapability").flatMap(splitWords)),
  );
  eq(
    "no-new-privileges",
    (svc.security_opt ?? []).some((o) => /^no-new-privileges(:true)?$/.test(o)),
    last(unit, "Container", "NoNewPrivileges") === "true",
  );
  eq(
    "restart",
    ["always", "unless-stopped"].includes(svc.restart ?? "no"),
    ["always", "on-failure"].includes(last(unit, "Service", "Restart") ?? ""),
  );
  if (svc.stop_grace_period) {
    eq(
      "stop_grace_period",
      durationMs(svc.stop_grace_period),
      (Number(last(unit, "Container", "StopTimeout")) || 10) * 1000,
    );
  }
  const cLabels = Array.isArray(svc.labels)
    ? Object.fromEntries(svc.labels.map((l) => [l.split("=")[0], l.split("=").slice(1).join("=")]))
    : (svc.labels ?? {});
  eq(
    "labels",
    { ...cLabels, ...QUADLET_DIFFERENCES[name]?.labels },
    Object.fromEntries(keyValues(unit, "Container", "Label")),
  );

  // depends_on → Requires= + After= (Wants= + After= where QUADLET_DIFFERENCES says so)
  const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
  const wanted = QUADLET_DIFFERENCES[name]?.wants ?? [];
  const requires = values(unit, "Unit", "Requires").flatMap(splitWords);
  const wants = values(unit, "Unit", "Wants").flatMap(splitWords);
  const after = values(unit, "Unit", "After").flatMap(splitWords);
  eq(
    "depends_on → Requires",
    sorted(deps.filter((d) => !wanted.includes(d)).map(serviceUnit)),
    sorted(requires.filter((r) => !/-(network|volume)\.service$/.test(r))),
  );
  eq("depends_on → Wants", sorted(wanted.map(serviceUnit)), sorted(wants));
  for (const d of deps) {
    if (!after.includes(serviceUnit(d))) diffs.push(`${name}: After=${serviceUnit(d)} missing`);
  }
  return diffs;
}

describe("drift against compose.yaml", () => {
  test("every compose service has a .container unit and every unit a compose service", () => {
    const services = Object.keys(compose.services);
    const units = containerUnits().map(serviceName);
    const missing = services
      .filter((s) => !units.includes(s))
      .filter((s) => {
        const optional = (compose.services[s]?.profiles ?? []).length > 0;
        return !(optional && OPTIONAL_WITHOUT_UNIT[s]);
      });
    expect({
      servicesWithoutUnit: missing,
      unitsWithoutService: units.filter((u) => !services.includes(u)),
    }).toEqual({
      servicesWithoutUnit: [],
      unitsWithoutService: [],
    });
    for (const s of Object.keys(OPTIONAL_WITHOUT_UNIT)) {
      expect({ service: s, profiles: (compose.services[s]?.profiles ?? []).length > 0 }).toEqual({
        service: s,
        profiles: true,
      });
    }
  });

  test("compose networks = .network units (internal flag included)", () => {
    const composeNets = Object.entries(compose.networks ?? {}).map(
      ([n, def]) => `taskplatform-${n}.network:${def?.internal === true}`,
    );
    const unitNets = rendered
      .filter((u) => u.kind === "network")
      .map((u) => `${u.name}:${last(u, "Network", "Internal") === "true"}`);
    expect(unitNets.sort()).toEqual(composeNets.sort());
  });

  test("compose volumes = .volume units (except those only services without a unit use)", () => {
    const usedByUnits = new Set(
      Object.entries(compose.services)
        .filter(([name]) => !OPTIONAL_WITHOUT_UNIT[name])
        .flatMap(([, svc]) => (svc.volumes ?? []).map(composeVolume).map((v) => v.split(":")[0] ?? "")),
    );
    expect(
      rendered
        .filter((u) => u.kind === "volume")
        .map((u) => u.name)
        .sort(),
    ).toEqual(
      Object.keys(compose.volumes ?? {})
        .filter((v) => usedByUnits.has(v))
        .map((v) => `taskplatform-${v}.volume`)
        .sort(),
    );
  });

  for (const name of Object.keys(composeRaw.services)) {
    test(`service ${name}: image, env, healthcheck, limits, networks, volumes, secrets, ports match`, () => {
      const svc = compose.services[name] as Service;
      const unit = byName(rendered, unitFor(name));
      if (!unit) {
        if ((svc.profiles ?? []).length && OPTIONAL_WITHOUT_UNIT[name]) return;
        throw new Error(`no systemd/${unitFor(name)} for compose service ${name}`);
      }
      expect(drift(name, svc, unit)).toEqual([]);
    });
  }

  test("the drift check itself catches drift (mutated copy of a unit)", () => {
    const name = Object.keys(compose.services).find((s) => byName(rendered, unitFor(s))) as string;
    const unit = byName(rendered, unitFor(name)) as Unit;
    const text = readFileSync(unit.file, "utf8")
      .replace(/^Image=(.*)$/m, "Image=$1-drifted")
      .replace(/^HealthRetries=.*$/m, "HealthRetries=99");
    const file = join(renderDir, "mutated", unitFor(name));
    Bun.spawnSync(["mkdir", "-p", join(renderDir, "mutated")]);
    writeFileSync(file, text);
    const mutated = loadUnits(join(renderDir, "mutated"))[0] as Unit;
    const diffs = drift(name, compose.services[name] as Service, mutated);
    expect(diffs.some((d) => d.includes("image"))).toBe(true);
    expect(diffs.some((d) => d.includes("healthcheck retries"))).toBe(true);
  });

  test("compose interpolation used by the comparison follows the compose spec", () => {
    const e = { A: "x", EMPTY: "" };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose syntax under test
    expect(interpolate("${A}-${B:-d}-${EMPTY:-e}-${EMPTY-f}-$$A-$A", e)).toBe("x-d-e--$A-x");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: compose syntax under test
    expect(() => interpolate("${B:?need B}", e)).toThrow();
  });
});
