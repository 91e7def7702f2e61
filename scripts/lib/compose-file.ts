// Reading compose.yaml as compose tools do: .env files, variable interpolation, durations and sizes.
// Used by the Quadlet tests (systemd/test/) and the Swarm stack renderer (scripts/swarm/).

export function parseDotEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/);
    if (!m?.[1]) continue;
    env[m[1]] = (m[2] ?? "").replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
  }
  return env;
}

/** compose-spec interpolation: $$, $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, ${VAR:+r}. */
export function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (match === "$$") return "$";
      const name = (braced ?? bare) as string;
      const set = Object.hasOwn(env, name);
      const val = env[name] ?? "";
      switch (op) {
        case ":-":
          return set && val !== "" ? val : (arg ?? "");
        case "-":
          return set ? val : (arg ?? "");
        case ":?":
        case "?":
          if (!set || (op === ":?" && val === "")) throw new Error(`compose: ${name} required: ${arg}`);
          return val;
        case ":+":
          return set && val !== "" ? (arg ?? "") : "";
        case "+":
          return set ? (arg ?? "") : "";
        default:
          return val;
      }
    },
  );
}

/** Deeply interpolates every string in a parsed compose document. */
export function interpolateDeep<T>(node: T, env: Record<string, string>): T {
  if (typeof node === "string") return interpolate(node, env) as T;
  if (Array.isArray(node)) return node.map((n) => interpolateDeep(n, env)) as T;
  if (node && typeof node === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateDeep(v, env);
    return out as T;
  }
  return node;
}

/** Compose durations ("1m30s", "10s", "500ms") → milliseconds. */
export function durationMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return value * 1000;
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)/g;
  let matched = "";
  for (const m of value.matchAll(re)) {
    const n = Number(m[1]);
    const unit = m[2];
    total +=
      unit === "h"
        ? n * 3_600_000
        : unit === "m"
          ? n * 60_000
          : unit === "s"
            ? n * 1000
            : unit === "ms"
              ? n
              : 0;
    matched += m[0];
  }
  if (matched !== value.replace(/\s/g, "")) throw new Error(`bad duration: ${value}`);
  return total;
}

/** Byte sizes as compose and podman write them ("512m", "1g", "128mb") → bytes. */
export function bytes(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "number") return value;
  const m = value.trim().match(/^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i);
  if (!m) throw new Error(`bad size: ${value}`);
  const power = { "": 0, k: 1, m: 2, g: 3, t: 4 }[(m[2] ?? "").toLowerCase() as "" | "k" | "m" | "g" | "t"];
  return Number(m[1]) * 1024 ** power;
}
