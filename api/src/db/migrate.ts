// Applies pending migrations under a session-level advisory lock, held on one reserved connection, so
// replicas and `migrate` steps starting together apply each migration exactly once.
//
// Ordinary migrations that follow each other run in ONE transaction and are recorded in it: when one
// fails, every migration of that transaction is rolled back and the schema is as it was.
//
// A migration whose first line is `-- migrate: no-transaction` runs outside any transaction, statement
// by statement (CREATE INDEX CONCURRENTLY cannot run in one). The ordinary migrations before it are
// committed first; it is recorded only after its last statement succeeded, so when it fails or is
// interrupted it runs again, from its first statement, the next time. It must therefore be idempotent:
// `IF NOT EXISTS` everywhere, and every CREATE INDEX CONCURRENTLY names its index and says IF NOT EXISTS
// (checked before anything runs). A CONCURRENTLY build that failed or was interrupted leaves an INVALID
// index behind, which IF NOT EXISTS would keep: before each such statement an invalid index of that name
// is dropped (DROP INDEX CONCURRENTLY), and after the migration every index it builds must be valid.
//
// Migrations run without the API's statement timeout (an index build on a large table takes minutes),
// and a process that finds the lock taken waits for it (polling: see acquireLock).
import { migrations as bundled } from "../../migrations/index.ts";
import type { Logger } from "../log.ts";
import type { Sql } from "./client.ts";

/** Arbitrary constant shared by every TaskPlatform process: "TaskPlat" as a 64-bit number. */
const MIGRATION_LOCK_ID = 0x5461736b506c6174n.toString();

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;

export const NO_TRANSACTION_MARKER = "-- migrate: no-transaction";

export class MigrationError extends Error {}

export interface Migration {
  version: string;
  sql: string;
}

/** An index a no-transaction migration builds with CREATE INDEX CONCURRENTLY. */
interface ConcurrentIndex {
  /** as PostgreSQL stores it (unquoted, case-folded) */
  name: string;
  /** as written in the statement, for to_regclass() */
  table: string;
}

type Plan =
  | { version: string; noTransaction: false; sql: string }
  | {
      version: string;
      noTransaction: true;
      statements: Array<{ text: string; index?: ConcurrentIndex }>;
    };

type ReservedSql = Awaited<ReturnType<Sql["reserve"]>>;
type MigrateLog = Pick<Logger, "info" | "warn">;

export async function migrate(
  sql: Sql,
  migrations: ReadonlyArray<Migration> = bundled,
  options: { log?: MigrateLog } = {},
): Promise<string[]> {
  // Every start after a deploy's `migrate` step finds nothing to do: two reads instead of a reserved
  // connection, the lock and six more queries. Applied versions are only ever added (each committed with
  // its migration), so "none pending" read without the lock stays true; anything pending takes the lock.
  if ((await pendingMigrations(sql, migrations)).length === 0) return [];
  const conn = await sql.reserve();
  try {
    await conn.unsafe("SET statement_timeout = 0");
    await acquireLock(conn, options.log);
    try {
      const [session] = await conn<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
      return await applyPending(conn, migrations, session?.pid ?? 0, options.log);
    } finally {
      await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK_ID}::bigint)`.catch(() => {});
    }
  } finally {
    // Back to the connection's own timeout (set at connect) before the pool gets the connection back.
    await conn.unsafe("RESET statement_timeout").catch(() => {});
    conn.release();
  }
}

/**
 * Polls with pg_try_advisory_lock instead of waiting in pg_advisory_lock: a waiting statement holds a
 * snapshot, and CREATE INDEX CONCURRENTLY in the lock holder's session waits for every older snapshot to
 * go away, while the waiter waits for the lock: a deadlock, which PostgreSQL breaks by failing one of
 * them, possibly the index build (seen in migrate.test.ts).
 */
async function acquireLock(conn: ReservedSql, log: MigrateLog | undefined): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const [lock] = await conn<
      { locked: boolean }[]
    >`SELECT pg_try_advisory_lock(${MIGRATION_LOCK_ID}::bigint) AS locked`;
    if (lock?.locked) return;
    if (attempt === 0) log?.info("waiting for the migration lock: another process is migrating");
    await Bun.sleep(Math.min(50 * 2 ** attempt, 1000));
  }
}

/** Versions not applied yet, in order; reads only (no lock), for a process that does not migrate. */
export async function pendingMigrations(
  sql: Sql,
  migrations: ReadonlyArray<Migration> = bundled,
): Promise<string[]> {
  const done = await recordedVersions(sql);
  return migrations.filter((migration) => !done.has(migration.version)).map((m) => m.version);
}

async function recordedVersions(sql: Sql | ReservedSql): Promise<Set<string>> {
  const [table] = await sql<
    { present: boolean }[]
  >`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`;
  if (!table?.present) return new Set();
  return new Set(
    (await sql<{ version: string }[]>`SELECT version FROM schema_migrations`).map((r) => r.version),
  );
}

async function applyPending(
  conn: ReservedSql,
  migrations: ReadonlyArray<Migration>,
  pid: number,
  log: MigrateLog | undefined,
): Promise<string[]> {
  const done = await recordedVersions(conn);
  // Every pending migration is checked before the first one runs.
  const plans = migrations.filter((migration) => !done.has(migration.version)).map(planMigration);
  const applied: string[] = [];
  let batch: Array<Plan & { noTransaction: false }> = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await assertSameSession(conn, pid);
    await runInTransaction(conn, batch);
    applied.push(...batch.map((plan) => plan.version));
    batch = [];
  };
  for (const plan of plans) {
    if (!plan.noTransaction) {
      batch.push(plan);
      continue;
    }
    await flush();
    await assertSameSession(conn, pid);
    await runOutsideTransaction(conn, plan, log);
    applied.push(plan.version);
  }
  await flush();
  return applied;
}

/** The advisory lock belongs to the session: a reconnected connection would not hold it. */
async function assertSameSession(conn: ReservedSql, pid: number): Promise<void> {
  const [session] = await conn<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
  if (session?.pid !== pid)
    throw new MigrationError(
      "lost the database session holding the migration lock; run the migrations again",
    );
}

async function runInTransaction(conn: ReservedSql, batch: ReadonlyArray<{ version: string; sql: string }>) {
  // A reserved connection has no sql.begin(): plain BEGIN/COMMIT on it.
  await conn.unsafe("BEGIN");
  try {
    await conn.unsafe(CREATE_TABLE);
    for (const migration of batch) {
      try {
        await conn.unsafe(migration.sql);
      } catch (error) {
        throw failure(migration.version, error);
      }
      await conn`INSERT INTO schema_migrations (version) VALUES (${migration.version})`;
    }
    await conn.unsafe("COMMIT");
  } catch (error) {
    await conn.unsafe("ROLLBACK").catch(() => {});
    throw error;
  }
}

async function runOutsideTransaction(
  conn: ReservedSql,
  plan: Plan & { noTransaction: true },
  log: MigrateLog | undefined,
): Promise<void> {
  await conn.unsafe(CREATE_TABLE);
  const total = plan.statements.length;
  for (const [i, statement] of plan.statements.entries()) {
    if (statement.index) {
      const found = await findIndex(conn, statement.index);
      if (found?.onTable && found.valid === false) {
        log?.warn("dropping an invalid index left by an interrupted build; building it again", {
          migration: plan.version,
          index: found.qualified,
        });
        await conn.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${found.qualified}`);
      }
    }
    try {
      await conn.unsafe(statement.text);
    } catch (error) {
      throw failure(
        plan.version,
        error,
        `statement ${i + 1} of ${total}, outside a transaction: the statements before it stay applied and the migration runs again from its first statement next time`,
      );
    }
  }
  for (const statement of plan.statements) {
    if (!statement.index) continue;
    const found = await findIndex(conn, statement.index);
    if (!found?.onTable || found.valid !== true)
      throw new MigrationError(
        `migration ${plan.version} failed: index ${statement.index.name} on ${statement.index.table} is ${
          found
            ? found.onTable
              ? "not valid"
              : "a relation of that name that is not this table's index"
            : "missing"
        } after its build`,
      );
  }
  await conn`INSERT INTO schema_migrations (version) VALUES (${plan.version})`;
}

async function findIndex(conn: ReservedSql, index: ConcurrentIndex) {
  const [row] = await conn<{ qualified: string; valid: boolean | null; onTable: boolean | null }[]>`
    SELECT format('%I.%I', n.nspname, c.relname) AS qualified, i.indisvalid AS valid,
           i.indrelid = to_regclass(${index.table}) AS on_table
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_index i ON i.indexrelid = c.oid
    WHERE c.relname = ${index.name}
      AND c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = to_regclass(${index.table}))`;
  return row;
}

function failure(version: string, error: unknown, where?: string): MigrationError {
  let message = (error as Error).message;
  if (/cannot run inside a transaction block|cannot be executed within a pipeline/i.test(message))
    message += ` (make "${NO_TRANSACTION_MARKER}" the migration's first line)`;
  return new MigrationError(`migration ${version} failed${where ? ` (${where})` : ""}: ${message}`);
}

// ------------------------------------------------------------------------------------------- parsing

const IDENT = `(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`;
const CONCURRENT_INDEX = /^create\s+(?:unique\s+)?index\s+concurrently\b/i;
const CONCURRENT_INDEX_NAMED = new RegExp(
  String.raw`^create\s+(?:unique\s+)?index\s+concurrently\s+if\s+not\s+exists\s+(${IDENT})\s+on\s+(?:only\s+)?(${IDENT}(?:\.${IDENT})?)`,
  "i",
);

/** Reads the first-line directive and, for a no-transaction migration, its statements. */
function planMigration(migration: Migration): Plan {
  const firstLine =
    migration.sql
      .replace(/^\uFEFF/, "")
      .split(/\r?\n/, 1)[0]
      ?.trim() ?? "";
  const directive = /^--\s*migrate:\s*(.*)$/i.exec(firstLine)?.[1]?.trim();
  if (directive === undefined)
    return { version: migration.version, noTransaction: false, sql: migration.sql };
  if (directive.toLowerCase() !== "no-transaction")
    throw new MigrationError(
      `migration ${migration.version}: unknown directive "${firstLine}" (the only one is "${NO_TRANSACTION_MARKER}")`,
    );
  const statements = splitStatements(migration.sql).map((text) => {
    const head = withoutLeadingComments(text);
    if (!CONCURRENT_INDEX.test(head)) return { text };
    const named = CONCURRENT_INDEX_NAMED.exec(head);
    if (!named?.[1] || !named[2])
      throw new MigrationError(
        `migration ${migration.version}: "${head.split("\n", 1)[0]}": a CREATE INDEX CONCURRENTLY here must name its index and say IF NOT EXISTS (CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON table …), so that it can run again`,
      );
    return { text, index: { name: identifierName(named[1]), table: named[2] } };
  });
  return { version: migration.version, noTransaction: true, statements };
}

function identifierName(identifier: string): string {
  return identifier.startsWith('"')
    ? identifier.slice(1, -1).replaceAll('""', '"')
    : identifier.toLowerCase();
}

function withoutLeadingComments(text: string): string {
  let rest = text.trimStart();
  for (;;) {
    if (rest.startsWith("--")) {
      const end = rest.indexOf("\n");
      rest = end < 0 ? "" : rest.slice(end + 1).trimStart();
    } else if (rest.startsWith("/*")) {
      const end = rest.indexOf("*/");
      rest = end < 0 ? "" : rest.slice(end + 2).trimStart();
    } else return rest;
  }
}

/**
 * Splits SQL into statements at top-level semicolons, past quoted strings ('…', E'…', "…"), dollar-quoted
 * bodies ($$…$$, $tag$…$tag$) and comments (-- and nested block comments). Statements that are only comments are
 * dropped.
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  const isIdentChar = (ch: string | undefined) => ch !== undefined && /[A-Za-z0-9_$]/.test(ch);
  const push = (end: number) => {
    const statement = text.slice(start, end).trim();
    if (withoutLeadingComments(statement) !== "") statements.push(statement);
  };
  while (i < text.length) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === "-" && next === "-") {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end + 1;
    } else if (ch === "/" && next === "*") {
      let depth = 1;
      i += 2;
      while (i < text.length && depth > 0) {
        if (text[i] === "/" && text[i + 1] === "*") {
          depth++;
          i += 2;
        } else if (text[i] === "*" && text[i + 1] === "/") {
          depth--;
          i += 2;
        } else i++;
      }
    } else if (ch === "'") {
      const escapes = /[eE]/.test(text[i - 1] ?? "") && !isIdentChar(text[i - 2]);
      i++;
      while (i < text.length) {
        if (escapes && text[i] === "\\") i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") break;
        else i++;
      }
      i++;
    } else if (ch === '"') {
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') i += 2;
        else if (text[i] === '"') break;
        else i++;
      }
      i++;
    } else if (ch === "$" && !isIdentChar(text[i - 1])) {
      const tag = /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$/.exec(text.slice(i))?.[0];
      if (tag) {
        const end = text.indexOf(tag, i + tag.length);
        i = end < 0 ? text.length : end + tag.length;
      } else i++;
    } else if (ch === ";") {
      push(i);
      i++;
      start = i;
    } else i++;
  }
  push(text.length);
  return statements;
}
