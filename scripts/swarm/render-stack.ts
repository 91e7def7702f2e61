// Renders the Docker Swarm stack file from compose.yaml + deploy/swarm/overlay.yaml (+ .env), so the
// single-host compose file stays the one source of images, environment, secrets, healthchecks, limits
// and hardening (docs/swarm.md). Writes <out>/stack.yml and <out>/prometheus.yml.
//
//   bun scripts/swarm/render-stack.ts [--env-file .env] [--out deploy/swarm/rendered]   (bun run swarm:render)
//
// `docker stack deploy` reads compose-file format 3 (engine 20.10: 3.8 here, for max_replicas_per_node)
// and ignores or rejects what Swarm has no use for: every compose key is translated, carried or dropped
// below, and an unknown key stops the render until someone decides how Swarm handles it.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import { bytes, interpolateDeep, parseDotEnv } from "../lib/compose-file.ts";

export const repoRoot = resolve(import.meta.dir, "../..");
export const STACK_FORMAT = "3.8";

type Dict = Record<string, unknown>;
export interface ComposeService extends Dict {
  image?: string;
  profiles?: string[];
  environment?: Record<string, string | number | boolean | null>;
  volumes?: (string | Dict)[];
  tmpfs?: string | string[];
  secrets?: (string | { source: string; target?: string; uid?: string; gid?: string; mode?: number })[];
  ports?: (string | Dict)[];
}
export interface Compose {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
}
interface Reasoned<T = unknown> {
  value: T;
  why: string;
}
export interface OverlayService {
  why?: string;
  left_out?: string;
  instances?: number;
  name_pattern?: string;
  deploy?: Dict;
  change?: Record<string, Reasoned>;
  environment?: Record<string, Reasoned<string | null>>;
  secrets_added?: SecretAdded[];
}
/** A secret the overlay gives a service; uid/gid/mode where the reader needs them (a private key). */
export interface SecretAdded {
  name: string;
  why: string;
  uid?: string;
  gid?: string;
  mode?: number;
}
/** How a service names an added secret in the stack file: long syntax only when it sets an owner or mode. */
export const secretRef = (s: SecretAdded) =>
  s.uid === undefined && s.gid === undefined && s.mode === undefined
    ? s.name
    : { source: s.name, uid: s.uid, gid: s.gid, mode: s.mode };
export interface Overlay {
  defaults: { deploy: Dict };
  networks: { encrypted: string | boolean; internal?: Record<string, Reasoned<boolean>> };
  services: Record<string, OverlayService>;
  added: Record<string, { instances: number; name_pattern: string; why: string; service: Dict }>;
  /** secrets only `added` services use (the others come from compose or a service's secrets_added) */
  added_secrets?: { name: string; why: string }[];
}

/** How each compose key becomes Swarm's: carried as is, translated, or dropped (with why). */
export const CARRIED_KEYS = [
  "image",
  "user",
  "command",
  "entrypoint",
  "environment",
  "secrets",
  "healthcheck",
  "ulimits",
  "stop_grace_period",
  "logging",
  "read_only",
  "cap_drop",
  "cap_add",
  "labels",
  "networks",
] as const;
export const TRANSLATED_KEYS: Record<string, string> = {
  volumes: "named volumes and absolute bind mounts as they are; repository files become Swarm configs",
  tmpfs: "tmpfs mounts (volumes of type tmpfs)",
  shm_size: "a tmpfs mount on /dev/shm of that size (Swarm has no shm_size)",
  ports: "long syntax with the publish mode the overlay chooses",
  restart: "deploy.restart_policy",
  cpus: "deploy.resources.limits.cpus",
  mem_limit: "deploy.resources.limits.memory",
};
export const DROPPED_KEYS: Record<string, string> = {
  build: "stack deploy builds nothing: scripts/swarm/deploy.sh builds the images and ships them to the nodes",
  container_name: "Swarm names the tasks (<stack>_<service>.<slot>.<id>)",
  depends_on:
    "Swarm starts every service at once; each retries its dependencies and the healthchecks gate updates",
  security_opt:
    "engine 20.10 services take no security options: no-new-privileges is not set (cap_drop ALL and non-root users remain)",
  profiles: "decides whether the service is rendered (COMPOSE_PROFILES), as with compose",
};

export interface Rendered {
  stack: {
    version: string;
    services: Record<string, Dict>;
    networks: Record<string, Dict>;
    volumes: Record<string, Dict>;
    secrets: Record<string, Dict>;
    configs: Record<string, Dict>;
  };
  /** rendered service → the compose service it comes from (undefined: added by the overlay) */
  origin: Record<string, string | undefined>;
  /** compose services not rendered, with why */
  leftOut: Record<string, string>;
  /** files the stack refers to as configs, by name in outDir: prometheus.yml */
  generated: Record<string, string>;
}

export interface RenderInput {
  compose: Compose;
  overlay: Overlay;
  env: Record<string, string>;
  /** where stack.yml will be written: config files are referenced relative to it */
  outDir: string;
  root?: string;
}

const isDict = (v: unknown): v is Dict => typeof v === "object" && v !== null && !Array.isArray(v);

function deepMerge(base: Dict, over: Dict): Dict {
  const out: Dict = { ...base };
  for (const [k, v] of Object.entries(over))
    out[k] = isDict(v) && isDict(out[k]) ? deepMerge(out[k] as Dict, v) : v;
  return out;
}

/** Replaces `{i}` in every string of an overlay value. */
function instance<T>(node: T, i: number): T {
  if (typeof node === "string") return node.replaceAll("{i}", String(i)) as T;
  if (Array.isArray(node)) return node.map((n) => instance(n, i)) as T;
  if (isDict(node)) return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, instance(v, i)])) as T;
  return node;
}

const slug = (s: string) =>
  s
    .replace(/^\.\//, "")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .replace(/^_|_$/g, "");

const HEADER =
  "# Rendered by scripts/swarm/render-stack.ts from compose.yaml + deploy/swarm/overlay.yaml: do not edit.\n";

export function render(input: RenderInput): Rendered {
  const root = input.root ?? repoRoot;
  const env = input.env;
  const stackName = env.SWARM_STACK_NAME || "taskplatform";
  const compose = interpolateDeep(input.compose, env);
  const overlay = interpolateDeep(input.overlay, env);
  const profiles = new Set((env.COMPOSE_PROFILES ?? "").split(",").filter(Boolean));

  /** Images built here (localhost/…) come from the private registry when there is one (docs/swarm.md). */
  const fromRegistry = (image: string) =>
    env.SWARM_REGISTRY && image.startsWith("localhost/") ? `${env.SWARM_REGISTRY}/${image.slice(10)}` : image;
  const services: Record<string, Dict> = {};
  const origin: Record<string, string | undefined> = {};
  const leftOut: Record<string, string> = {};
  const volumes: Record<string, Dict> = {};
  const secrets = new Set<string>();
  const configs: Record<string, Dict> = {};

  /**
   * A file as a Swarm config, named after its content (configs are immutable: a changed file is a new
   * config, and the services using it are updated) and short (Swarm takes at most 64 characters).
   */
  const configFor = (file: string, target: string) => {
    const content = generatedByPath[file] ?? readFileSync(file);
    const hash = createHash("sha256").update(content).digest("hex").slice(0, 10);
    const key = `${slug(basename(file))}_${hash}`;
    configs[key] = { file: relative(input.outDir, file), name: `${stackName}_${key}` };
    return { source: key, target, mode: 0o444 };
  };

  const convert = (name: string, svc: ComposeService, ov: OverlayService, i: number | undefined): Dict => {
    for (const key of Object.keys(svc)) {
      if (
        !(CARRIED_KEYS as readonly string[]).includes(key) &&
        !(key in TRANSLATED_KEYS) &&
        !(key in DROPPED_KEYS)
      ) {
        throw new Error(
          `compose service ${name}: key "${key}" is unknown to the Swarm renderer: decide how Swarm handles it (scripts/swarm/render-stack.ts)`,
        );
      }
    }
    const change = i === undefined ? (ov.change ?? {}) : instance(ov.change ?? {}, i);
    const has = (key: string) => Object.hasOwn(change, key);
    const pick = (key: string) => (has(key) ? change[key]?.value : svc[key]);
    const out: Dict = {};
    for (const key of CARRIED_KEYS) {
      const value = pick(key);
      if (value !== undefined && value !== null) out[key] = value;
    }
    out.image = fromRegistry(out.image as string);
    // environment: compose's, then the overlay's additions (null removes)
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries((pick("environment") as ComposeService["environment"]) ?? {}))
      environment[k] = v === null ? "" : String(v);
    for (const [k, r] of Object.entries(instance(ov.environment ?? {}, i ?? 0))) {
      if (r.value === null) delete environment[k];
      else environment[k] = r.value;
    }
    if (Object.keys(environment).length) out.environment = environment;
    const secretNames = [
      ...((out.secrets as ComposeService["secrets"]) ?? []),
      ...(ov.secrets_added ?? []).map(secretRef),
    ];
    if (secretNames.length) out.secrets = secretNames;
    for (const s of secretNames) secrets.add(typeof s === "string" ? s : s.source);

    // mounts
    const mounts: unknown[] = [];
    const serviceConfigs: unknown[] = [];
    for (const v of (pick("volumes") as ComposeService["volumes"]) ?? []) {
      if (typeof v !== "string")
        throw new Error(`compose service ${name}: long volume syntax is not rendered yet`);
      const [source = "", target = "", mode] = v.split(":");
      if (source.startsWith(".") || source.startsWith("{rendered}/")) {
        const path = source.startsWith(".") ? resolve(root, source) : join(input.outDir, source.slice(11));
        if (!existsSync(path) && !generatedByPath[path])
          throw new Error(`compose service ${name}: ${source} does not exist`);
        const files =
          !generatedByPath[path] && statSync(path).isDirectory()
            ? readdirSync(path, { recursive: true, encoding: "utf8" })
                .filter((f) => statSync(join(path, f)).isFile())
                .sort()
                .map((f) => [join(path, f), `${target}/${f}`] as const)
            : [[path, target] as const];
        for (const [file, to] of files) serviceConfigs.push(configFor(file, to));
      } else if (source.startsWith("/")) {
        mounts.push(v);
      } else {
        const volume = i === undefined ? source : `${source}_${i}`;
        volumes[volume] = {};
        mounts.push([volume, target, mode].filter(Boolean).join(":"));
      }
    }
    const tmpfs = svc.tmpfs === undefined ? [] : Array.isArray(svc.tmpfs) ? svc.tmpfs : [svc.tmpfs];
    for (const t of tmpfs) mounts.push({ type: "tmpfs", target: t });
    if (svc.shm_size !== undefined)
      mounts.push({ type: "tmpfs", target: "/dev/shm", tmpfs: { size: bytes(svc.shm_size as string) } });
    if (mounts.length) out.volumes = mounts;
    else delete out.volumes;
    if (serviceConfigs.length) out.configs = serviceConfigs;

    // ports: only where the overlay chose how they are published
    const ports = pick("ports") as Dict[] | undefined;
    if ((svc.ports ?? []).length && !has("ports"))
      throw new Error(
        `compose service ${name} publishes ports: the overlay must say how in Swarm (change.ports)`,
      );
    if (ports?.length)
      out.ports = ports.map((p) => ({ ...p, target: Number(p.target), published: Number(p.published) }));

    // deploy: defaults, the compose limits and restart policy, then the overlay
    const limits: Dict = {};
    if (svc.cpus !== undefined) limits.cpus = String(svc.cpus);
    if (svc.mem_limit !== undefined) limits.memory = String(svc.mem_limit);
    let deploy = deepMerge(
      overlay.defaults.deploy,
      Object.keys(limits).length ? { resources: { limits } } : {},
    );
    if (svc.restart === "no" || svc.restart === undefined)
      deploy = deepMerge(deploy, { restart_policy: { condition: "none" } });
    deploy = deepMerge(deploy, i === undefined ? (ov.deploy ?? {}) : instance(ov.deploy ?? {}, i));
    if (typeof deploy.replicas === "string") deploy.replicas = Number(deploy.replicas);
    out.deploy = deploy;
    return out;
  };

  // which Swarm services there will be (Prometheus's configuration names them before they are rendered)
  const plan: { name: string; from: string | undefined; i: number | undefined }[] = [];
  for (const [name, svc] of Object.entries(compose.services)) {
    const ov = overlay.services[name] ?? {};
    if (ov.left_out) leftOut[name] = ov.left_out;
    else if ((svc.profiles ?? []).length && !svc.profiles?.some((p) => profiles.has(p)))
      leftOut[name] = `compose profile ${svc.profiles?.join(",")} not in COMPOSE_PROFILES`;
    else if (!ov.instances) plan.push({ name, from: name, i: undefined });
    else
      for (let i = 1; i <= ov.instances; i++)
        plan.push({ name: (ov.name_pattern ?? `${name}{i}`).replaceAll("{i}", String(i)), from: name, i });
  }
  for (const added of Object.values(overlay.added))
    for (let i = 1; i <= added.instances; i++)
      plan.push({ name: added.name_pattern.replaceAll("{i}", String(i)), from: undefined, i });
  for (const p of plan) origin[p.name] = p.from;

  const generated = {
    "prometheus.yml": yaml11Safe(
      `${HEADER}${Bun.YAML.stringify(renderPrometheus(readPrometheus(root), origin), null, 2)}\n`,
    ),
  };
  const generatedByPath: Record<string, string> = Object.fromEntries(
    Object.entries(generated).map(([f, text]) => [join(input.outDir, f), text]),
  );

  for (const p of plan.filter((p) => p.from !== undefined)) {
    const from = p.from as string;
    services[p.name] = convert(
      from,
      compose.services[from] as ComposeService,
      overlay.services[from] ?? {},
      p.i,
    );
  }
  for (const [name, added] of Object.entries(overlay.added)) {
    for (let i = 1; i <= added.instances; i++) {
      const rendered = added.name_pattern.replaceAll("{i}", String(i));
      const svc = instance(added.service, i);
      for (const v of (svc.volumes as (string | Dict)[] | undefined) ?? []) {
        if (typeof v !== "string") {
          if (v.type !== "tmpfs") throw new Error(`added ${name}: long volume syntax for tmpfs only`);
          continue;
        }
        const [source = "", target = ""] = v.split(":");
        if (source.startsWith(".") || source.startsWith("/"))
          throw new Error(`added ${name}: ${v}: named volumes only`);
        (svc.volumes as string[])[(svc.volumes as string[]).indexOf(v)] = `${source}_${i}:${target}`;
        volumes[`${source}_${i}`] = {};
      }
      for (const s of (svc.secrets as ComposeService["secrets"]) ?? [])
        secrets.add(typeof s === "string" ? s : s.source);
      svc.image = fromRegistry(svc.image as string);
      svc.deploy = deepMerge(overlay.defaults.deploy, (svc.deploy as Dict) ?? {});
      services[rendered] = svc;
    }
  }

  const encrypted = String(overlay.networks.encrypted) !== "false";
  const networks: Record<string, Dict> = {};
  for (const [name, def] of Object.entries(compose.networks ?? {})) {
    networks[name] = {
      driver: "overlay",
      ...((overlay.networks.internal?.[name]?.value ?? def?.internal) ? { internal: true } : {}),
      // the monitoring network takes a helper container for an SSH tunnel to Prometheus/Grafana
      ...(name === "monitoring" ? { attachable: true } : {}),
      ...(encrypted ? { driver_opts: { encrypted: "true" } } : {}),
    };
  }
  const secretDefs: Record<string, Dict> = {};
  for (const s of [...secrets].sort()) {
    if (
      !compose.secrets?.[s] &&
      !Object.values(overlay.services).some((o) => o.secrets_added?.some((a) => a.name === s)) &&
      !overlay.added_secrets?.some((a) => a.name === s)
    )
      throw new Error(`secret ${s} is neither in compose.yaml nor added by the overlay`);
    secretDefs[s] = { external: true, name: `${stackName}_${s}` };
  }

  return {
    stack: {
      version: STACK_FORMAT,
      services,
      networks,
      volumes: Object.fromEntries(
        Object.keys(volumes)
          .sort()
          .map((v) => [v, v === "attachments" ? attachmentsVolume(env.SWARM_ATTACHMENTS_NFS) : {}]),
      ),
      secrets: secretDefs,
      configs,
    },
    origin,
    leftOut,
    generated,
  };
}

/**
 * The attachments volume: the API writes files on whichever node it runs, and every node's proxy sends
 * them, so all nodes need the same files: an NFS export (SWARM_ATTACHMENTS_NFS=host:/path) mounted by
 * each node's engine. Without one it is a volume per node (a test swarm on one machine).
 */
export function attachmentsVolume(nfs: string | undefined): Dict {
  if (!nfs) return {};
  const m = nfs.match(/^([A-Za-z0-9.-]+):(\/[^\s,]*)$/);
  if (!m) throw new Error(`SWARM_ATTACHMENTS_NFS must be host:/path, got ${nfs}`);
  return {
    driver: "local",
    driver_opts: { type: "nfs", o: `addr=${m[1]},rw,nfsvers=4`, device: `:${m[2]}` },
  };
}

export function readPrometheus(root = repoRoot): Dict {
  return Bun.YAML.parse(readFileSync(join(root, "observability/prometheus/prometheus.yml"), "utf8")) as Dict;
}

/**
 * The single-host Prometheus configuration with Swarm's DNS discovery: every `names: [svc]` becomes the
 * tasks of each Swarm service rendered from svc (`tasks.<name>`: one A record per task, on whatever
 * node), plus the Patroni members' REST API and etcd. DNS rather than dockerswarm_sd_configs: no engine
 * socket of a manager (root on the whole cluster) inside Prometheus.
 */
export function renderPrometheus(base: Dict, origin: Record<string, string | undefined>): Dict {
  const tasksOf = (svc: string) => {
    const rendered = Object.entries(origin)
      .filter(([, from]) => from === svc)
      .map(([name]) => name);
    return (rendered.length ? rendered : [svc]).map((n) => `tasks.${n}`);
  };
  const sd = (d: Dict) => ({ ...d, names: (d.names as string[]).flatMap(tasksOf) });
  const alerting = base.alerting as { alertmanagers: Dict[] };
  const jobs = (base.scrape_configs as Dict[]).map((job) =>
    job.dns_sd_configs ? { ...job, dns_sd_configs: (job.dns_sd_configs as Dict[]).map(sd) } : job,
  );
  const members = (prefix: string) =>
    Object.keys(origin)
      .filter((n) => new RegExp(`^${prefix}\\d+$`).test(n))
      .map((n) => `tasks.${n}`);
  jobs.push(
    { job_name: "patroni", dns_sd_configs: [{ names: members("pg"), type: "A", port: 8008 }] },
    { job_name: "etcd", dns_sd_configs: [{ names: members("etcd"), type: "A", port: 2379 }] },
  );
  return {
    ...base,
    alerting: {
      ...alerting,
      alertmanagers: alerting.alertmanagers.map((a) => ({
        ...a,
        dns_sd_configs: (a.dns_sd_configs as Dict[]).map(sd),
      })),
    },
    scrape_configs: jobs,
  };
}

/** Every `$` of a rendered value as `$$`: stack deploy interpolates the file once more. */
function escapeDollars<T>(node: T): T {
  if (typeof node === "string") return node.replaceAll("$", () => "$$") as T;
  if (Array.isArray(node)) return node.map(escapeDollars) as T;
  if (isDict(node))
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, escapeDollars(v)])) as T;
  return node;
}

export function loadInput(root = repoRoot): { compose: Compose; overlay: Overlay } {
  return {
    compose: Bun.YAML.parse(readFileSync(join(root, "compose.yaml"), "utf8")) as Compose,
    overlay: Bun.YAML.parse(readFileSync(join(root, "deploy/swarm/overlay.yaml"), "utf8")) as Overlay,
  };
}

/**
 * Quotes the plain scalars a YAML 1.1 reader (PyYAML, go-yaml v2 in the docker client) takes for
 * something else: `472:0` is a base-60 number there, `on`/`yes` booleans. Bun writes YAML 1.2.
 */
export function yaml11Safe(text: string): string {
  return text.replace(
    /^(\s*(?:- )?(?:[\w.-]+: )?)(\d+(?::\d+)+|y|n|yes|no|on|off|true|false)$/gim,
    (line, prefix: string, value: string) => (/^(true|false)$/.test(value) ? line : `${prefix}"${value}"`),
  );
}

/** Renders and writes stack.yml and the files it refers to into outDir. */
export function writeStack(outDir: string, env: Record<string, string>, root = repoRoot): Rendered {
  mkdirSync(outDir, { recursive: true });
  const result = render({ ...loadInput(root), env, outDir, root });
  for (const [file, text] of Object.entries(result.generated)) writeFileSync(join(outDir, file), text);
  writeFileSync(
    join(outDir, "stack.yml"),
    yaml11Safe(`${HEADER}${Bun.YAML.stringify(escapeDollars(result.stack), null, 2)}\n`),
  );
  return result;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const opt = (flag: string, fallback: string) => {
    const at = args.indexOf(flag);
    return at >= 0 && args[at + 1] ? (args[at + 1] as string) : fallback;
  };
  const envFile = resolve(opt("--env-file", join(repoRoot, ".env")));
  const outDir = resolve(opt("--out", join(repoRoot, "deploy/swarm/rendered")));
  if (!existsSync(envFile)) {
    console.error(`render-stack: ${envFile} not found (scripts/setup.sh creates .env)`);
    process.exit(2);
  }
  const env: Record<string, string> = { ...parseDotEnv(readFileSync(envFile, "utf8")) };
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  const result = writeStack(outDir, env);
  console.log(
    `render-stack: ${Object.keys(result.stack.services).length} services → ${join(outDir, "stack.yml")}` +
      (Object.keys(result.leftOut).length ? `; left out: ${Object.keys(result.leftOut).join(", ")}` : ""),
  );
}
