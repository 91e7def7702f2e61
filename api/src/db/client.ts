// postgres.js client. Column names are mapped to camelCase; connection failures surface quickly
// (2 s connect timeout) so the error handler can answer 503 instead of letting requests hang.
import postgres from "postgres";
import type { Metrics } from "../metrics.ts";

export type Sql = postgres.Sql;
/** Anything queries can run on: the pool or a transaction. */
export type Queryable = postgres.Sql | postgres.TransactionSql;

export interface SqlOptions {
  url: string;
  password?: string;
  max: number;
  metrics?: Metrics;
  /** postgres.js `debug`: called with every query sent (tests count a route's queries with it). */
  debug?: (connection: number, query: string) => void;
}

/**
 * PostgreSQL's timestamp text ("0099-06-01 00:00:00+00") rewritten as ISO 8601 before it becomes a
 * Date: postgres.js passes the text to `new Date()`, whose legacy parser reads years below 100 as
 * 19xx. Offsets come as "+HH", "+HH:MM" or "+HH:MM:SS"; seconds in an offset (pre-1900 local mean time)
 * are beyond ISO and fall back to the legacy parser, as do "infinity" and BC dates.
 */
export function parseTimestamp(text: string): Date {
  const iso = text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00");
  const parsed = new Date(iso);
  return Number.isNaN(parsed.getTime()) ? new Date(text) : parsed;
}

/** How many hosts a connection URL lists (`postgres://u@pg1:5432,pg2:5432/db` → 2). */
export function hostCount(url: string): number {
  const authority = url.replace(/^[a-z]+:\/\//i, "").split(/[/?#]/)[0] ?? "";
  return authority.slice(authority.lastIndexOf("@") + 1).split(",").length;
}

export function createSql({ url, password, max, metrics, debug }: SqlOptions): Sql {
  metrics?.dbPool.set({ state: "max" }, max);
  return postgres(url, {
    ...(debug ? { debug } : {}),
    ...(password ? { password } : {}),
    max,
    // With several hosts (Patroni members) a new connection may wait out one timeout per host that does
    // not answer before it reaches the primary: 1 s keeps a lost host plus the others under 2 s.
    connect_timeout: hostCount(url) > 1 ? 1 : 2,
    // postgres.js waits an exponential backoff (up to 20 s) before reconnecting a closed connection,
    // and queries handed to it wait too: while PostgreSQL is down requests would hang instead of
    // answering 503. A flat 0.1 s keeps them fast.
    backoff: () => 0.1,
    idle_timeout: 60,
    max_lifetime: 60 * 30,
    transform: postgres.camel,
    types: {
      date: {
        to: 1184,
        from: [1082, 1114, 1184],
        serialize: (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString(),
        parse: parseTimestamp,
      },
    },
    onnotice: () => {},
    connection: { application_name: "taskplatform-api", statement_timeout: 5000 },
  });
}

/** Times a repository operation into db_query_duration_seconds. */
export async function timed<T>(
  metrics: Metrics | undefined,
  operation: string,
  run: () => Promise<T>,
): Promise<T> {
  if (!metrics) return run();
  const end = metrics.dbQueryDuration.startTimer({ operation });
  metrics.dbPool.inc({ state: "in_use" });
  try {
    return await run();
  } finally {
    metrics.dbPool.dec({ state: "in_use" });
    end();
  }
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND", // a compose service name not resolvable yet
  "EAI_AGAIN",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  // read_only_sql_transaction: the connection is on a node that is not (or no longer) the primary, which
  // only happens while Patroni fails over or demotes; the pool watchdog (db/pool.ts) replaces it.
  "25006",
  "53300", // too_many_connections
  "08000",
  "08003",
  "08006",
]);

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && UNAVAILABLE_CODES.has(code);
}
