// Helpers for the Quadlet tests: a systemd unit-file parser, systemd/Quadlet word splitting, compose
// interpolation, and the per-version allow-lists of Quadlet keys.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const systemdDir = resolve(import.meta.dir, "..");
export const repoRoot = resolve(systemdDir, "..");

/** Oldest Podman these units support. Why: see MIN_PODMAN_REASONS and systemd/README.md. */
export const MIN_PODMAN = "5.0";

// ------------------------------------------------------------------------------------------- allow-lists
// [Container]/[Network]/[Volume] keys Quadlet understands in Podman 5.0, from podman-systemd.unit(5), the
// Podman 5.0.0 release notes (Notify=healthy, Entrypoint=, StopTimeout=) and the per-version gating in
// containers/podlet (src/quadlet/{container,network,volume,globals}.rs). Newer keys (e.g. Memory=,
// NetworkAlias=, StopSignal=, HealthLogDestination=, ReloadCmd=, Retry=, StartWithPod=) and keys this list
// cannot vouch for at 5.0 (NetworkName=, VolumeName=) are deliberately absent: Quadlet rejects keys it does
// not know and then generates no service at all.
const GLOBAL_KEYS = ["ContainersConfModule", "GlobalArgs"]; // 4.8

export const CONTAINER_KEYS_BY_VERSION: Record<string, string[]> = {
  "4.4": [
    "AddCapability",
    "AddDevice",
    "Annotation",
    "ContainerName",
    "DropCapability",
    "Environment",
    "EnvironmentFile",
    "EnvironmentHost",
    "Exec",
    "ExposeHostPort",
    "Group",
    "HealthCmd",
    "Image",
    "Label",
    "Network",
    "NoNewPrivileges",
    "Notify",
    "PodmanArgs",
    "PublishPort",
    "ReadOnly",
    "RunInit",
    "SeccompProfile",
    "SecurityLabelDisable",
    "SecurityLabelFileType",
    "SecurityLabelLevel",
    "SecurityLabelType",
    "Timezone",
    "User",
    "Volume",
  ],
  "4.5": [
    "Rootfs",
    "Secret",
    "LogDriver",
    "Mount",
    "IP",
    "IP6",
    "HealthInterval",
    "HealthOnFailure",
    "HealthRetries",
    "HealthStartPeriod",
    "HealthStartupCmd",
    "HealthStartupInterval",
    "HealthStartupRetries",
    "HealthStartupSuccess",
    "HealthStartupTimeout",
    "HealthTimeout",
    "Tmpfs",
    "UserNS",
  ],
  "4.6": ["AutoUpdate", "SecurityLabelNested", "Mask", "Unmask", "Sysctl", "HostName", "Pull", "WorkingDir"],
  "4.7": ["DNS", "DNSOption", "DNSSearch", "PidsLimit", "ShmSize", "Ulimit"],
  "4.8": ["GIDMap", "SubGIDMap", "SubUIDMap", "UIDMap", "ReadOnlyTmpfs", ...GLOBAL_KEYS],
  "5.0": ["Entrypoint", "StopTimeout"],
};

/** What forces the minimum version: the newest Quadlet features these units rely on. */
export const MIN_PODMAN_REASONS: Record<string, string> = {
  "Notify=healthy": "5.0 (4.7-4.9 only via PodmanArgs=--sdnotify=healthy; the Notify= key was boolean)",
  "StopTimeout=": "5.0",
};

const NETWORK_KEYS = [
  "DisableDNS",
  "DNS",
  "Driver",
  "Gateway",
  "Internal",
  "IPAMDriver",
  "IPRange",
  "IPv6",
  "Label",
  "Options",
  "PodmanArgs",
  "Subnet",
  ...GLOBAL_KEYS,
];
const VOLUME_KEYS = [
  "Copy",
  "Device",
  "Driver",
  "Group",
  "Image",
  "Label",
  "Options",
  "PodmanArgs",
  "Type",
  "User",
  ...GLOBAL_KEYS,
];

function versionLe(a: string, b: string): boolean {
  const [a1 = 0, a2 = 0] = a.split(".").map(Number);
  const [b1 = 0, b2 = 0] = b.split(".").map(Number);
  return a1 < b1 || (a1 === b1 && a2 <= b2);
}

export function containerKeys(version = MIN_PODMAN): Set<string> {
  const keys = new Set<string>();
  for (const [since, list] of Object.entries(CONTAINER_KEYS_BY_VERSION)) {
    if (versionLe(since, version)) for (const key of list) keys.add(key);
  }
  return keys;
}

// Plain systemd sections: only the keys these units use or are likely to need (systemd.unit(5),
// systemd.service(5), systemd.timer(5)). [Install] in Quadlet files: only Alias, WantedBy, RequiredBy
// are applied by the generator (UpheldBy came later).
const UNIT_KEYS = [
  "Description",
  "Documentation",
  "Requires",
  "Wants",
  "Requisite",
  "BindsTo",
  "PartOf",
  "Conflicts",
  "Before",
  "After",
  "OnFailure",
  "StartLimitIntervalSec",
  "StartLimitBurst",
  "ConditionPathExists",
  "AssertPathExists",
];
const SERVICE_KEYS = [
  "Type",
  "Restart",
  "RestartSec",
  "TimeoutStartSec",
  "TimeoutStopSec",
  "ExecStart",
  "ExecStartPre",
  "ExecStartPost",
  "ExecStop",
  "WorkingDirectory",
  "Environment",
  "EnvironmentFile",
  "Nice",
  "IOSchedulingClass",
  "RemainAfterExit",
  "SuccessExitStatus",
];
const TIMER_KEYS = [
  "OnCalendar",
  "OnBootSec",
  "OnUnitActiveSec",
  "RandomizedDelaySec",
  "AccuracySec",
  "Persistent",
  "Unit",
];
const QUADLET_INSTALL_KEYS = ["Alias", "WantedBy", "RequiredBy"];
const SYSTEMD_INSTALL_KEYS = ["Alias", "WantedBy", "RequiredBy", "Also"];

/** Allowed sections → keys for each unit file type. */
export function allowedSections(kind: string): Record<string, Set<string>> {
  const set = (keys: string[]) => new Set(keys);
  switch (kind) {
    case "container":
      return {
        Unit: set(UNIT_KEYS),
        Container: containerKeys(),
        Service: set(SERVICE_KEYS),
        Install: set(QUADLET_INSTALL_KEYS),
      };
    case "network":
      return { Unit: set(UNIT_KEYS), Network: set(NETWORK_KEYS), Install: set(QUADLET_INSTALL_KEYS) };
    case "volume":
      return { Unit: set(UNIT_KEYS), Volume: set(VOLUME_KEYS), Install: set(QUADLET_INSTALL_KEYS) };
    case "target":
      return { Unit: set(UNIT_KEYS), Install: set(SYSTEMD_INSTALL_KEYS) };
    case "service":
      return { Unit: set(UNIT_KEYS), Service: set(SERVICE_KEYS), Install: set(SYSTEMD_INSTALL_KEYS) };
    case "timer":
      return { Unit: set(UNIT_KEYS), Timer: set(TIMER_KEYS), Install: set(SYSTEMD_INSTALL_KEYS) };
    default:
      throw new Error(`unknown unit kind ${kind}`);
  }
}

// --------------------------------------------------------------------------------------- unit parsing
export interface Entry {
  key: string;
  value: string;
  line: number;
}
export interface Unit {
  file: string;
  name: string;
  kind: string;
  sections: Map<string, Entry[]>;
}

/** Parses a systemd-style unit file (comments, sections, key=value, backslash continuations). */
export function parseUnit(text: string, file: string): Unit {
  const name = file.split("/").pop() ?? file;
  const kind = name.slice(name.lastIndexOf(".") + 1);
  const sections = new Map<string, Entry[]>();
  let current: Entry[] | undefined;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = (lines[i] ?? "").trim();
    const lineNo = i + 1;
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    while (line.endsWith("\\") && i + 1 < lines.length) {
      line = `${line.slice(0, -1)} ${(lines[++i] ?? "").trim()}`;
    }
    const header = line.match(/^\[([A-Za-z]+)\]$/);
    if (header?.[1]) {
      if (sections.has(header[1])) throw new Error(`${name}:${lineNo}: section [${header[1]}] repeated`);
      current = [];
      sections.set(header[1], current);
      continue;
    }
    const kv = line.match(/^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$/);
    if (!kv?.[1]) throw new Error(`${name}:${lineNo}: not a key=value line: ${line}`);
    if (!current) throw new Error(`${name}:${lineNo}: key outside of a section`);
    current.push({ key: kv[1], value: kv[2] ?? "", line: lineNo });
  }
  return { file, name, kind, sections };
}

export function values(unit: Unit, section: string, key: string): string[] {
  return (unit.sections.get(section) ?? []).filter((e) => e.key === key).map((e) => e.value);
}

export function last(unit: Unit, section: string, key: string): string | undefined {
  return values(unit, section, key).at(-1);
}

export function unitFiles(dir = systemdDir): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(container|network|volume|target|service|timer)$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

export function loadUnits(dir = systemdDir): Unit[] {
  return unitFiles(dir).map((file) => parseUnit(readFileSync(file, "utf8"), file));
}

const C_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
  s: " ",
};

/** systemd/Quadlet exec-style word splitting: quotes removed, C escapes applied (SplitUnquote|SplitCUnescape). */
export function splitWords(input: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote = "";
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as string;
    if (c === "\\") {
      const next = input[i + 1];
      if (next === undefined) throw new Error(`trailing backslash in: ${input}`);
      if (next === "x") {
        word += String.fromCharCode(Number.parseInt(input.slice(i + 2, i + 4), 16));
        i += 3;
      } else {
        const esc = C_ESCAPES[next];
        if (esc === undefined) throw new Error(`unsupported escape \\${next} in: ${input}`);
        word += esc;
        i += 1;
      }
      inWord = true;
    } else if (quote) {
      if (c === quote) quote = "";
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced quotes in: ${input}`);
  if (inWord) words.push(word);
  return words;
}

/** What systemd does to a word of ExecStart (where Quadlet puts every podman argument): %% → %, $$ → $. */
export function systemdExpand(word: string): string {
  return word.replace(/%%/g, "%").replace(/\$\$/g, "$");
}

/** A lone % or $ would be expanded by systemd (specifier / environment variable) inside ExecStart. */
export function hasUnescapedSystemdChars(raw: string): boolean {
  const stripped = raw.replace(/%%/g, "").replace(/\$\$/g, "");
  return /[%$]/.test(stripped);
}

/** Environment=/Label= style: words of KEY=VALUE. */
export function keyValues(unit: Unit, section: string, key: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of values(unit, section, key)) {
    for (const word of splitWords(raw)) {
      const eq = word.indexOf("=");
      if (eq > 0) out.set(word.slice(0, eq), systemdExpand(word.slice(eq + 1)));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------- compose side
// shared with the Swarm stack renderer (scripts/swarm/render-stack.ts)
export {
  bytes,
  durationMs,
  interpolate,
  interpolateDeep,
  parseDotEnv,
} from "../../scripts/lib/compose-file.ts";

/**
 * Renders the units with `.env.example`'s values into a fresh temporary folder, as install would;
 * `env` adds variables to render's environment (COMPOSE_PROFILES, say).
 */
export function renderUnits(prefix: string, env: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const proc = Bun.spawnSync(
    [
      "bash",
      join(systemdDir, "deploy-quadlet.sh"),
      "render",
      dir,
      "--env-file",
      join(repoRoot, ".env.example"),
    ],
    { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, ...env }, stdout: "pipe", stderr: "pipe" },
  );
  if (proc.exitCode !== 0) throw new Error(`render failed: ${proc.stderr.toString()}`);
  return dir;
}
