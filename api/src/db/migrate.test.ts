import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { migrations } from "../../migrations/index.ts";
import { freshRuntime, testBackends } from "../../test/support/harness.ts";
import { createDatabase } from "../../test/support/services.ts";
import { createLogger } from "../log.ts";
import { createSql, type Sql } from "./client.ts";
import { MigrationError, migrate, pendingMigrations, splitStatements } from "./migrate.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

test("every .sql file in api/migrations is embedded, in order", () => {
  const files = readdirSync(join(import.meta.dir, "../../migrations"))
    .filter((file) => file.endsWith(".sql"))
    .sort()
    .map((file) => file.replace(/\.sql$/, ""));
  expect(migrations.map((m) => m.version)).toEqual(files);
});

let data: Awaited<ReturnType<typeof freshRuntime>>;
// One connection, so the session setting below applies to every statement of the seeding.
let extra: Sql[] = [];
beforeAll(async () => {
  data = await freshRuntime();
});
afterAll(async () => {
  for (const sql of extra) await sql.end({ timeout: 1 });
  await data.close();
});

test("migrating again applies nothing; concurrent runs apply a new migration exactly once", async () => {
  expect(await migrate(data.sql)).toEqual([]);
  if (!data.databaseUrl) return; // the embedded database has a single connection: no concurrency to test
  const next = [
    ...migrations,
    {
      version: "9001_test",
      sql: "CREATE TABLE migration_probe (id int); INSERT INTO migration_probe VALUES (1);",
    },
  ];
  extra = [1, 2, 3].map(() => createSql({ url: data.databaseUrl as string, max: 1 }));
  const results = await Promise.all(extra.map((sql) => migrate(sql, next)));
  expect(results.flat()).toEqual(["9001_test"]);
  expect((await data.sql`SELECT count(*)::int AS n FROM migration_probe`)[0]?.n).toBe(1);
});

test("a failing migration rolls back entirely and says which one failed", async () => {
  const broken = [
    ...migrations,
    { version: "9002_ok", sql: "CREATE TABLE should_not_exist (id int);" },
    { version: "9003_broken", sql: "ALTER TABLE no_such_table ADD COLUMN x int;" },
  ];
  const error = await migrate(data.sql, broken).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as Error).message).toContain("9003_broken");
  const [row] = await data.sql`SELECT to_regclass('should_not_exist') AS t`;
  expect(row?.t).toBeNull();
  const versions = (await data.sql<{ version: string }[]>`SELECT version FROM schema_migrations`).map(
    (r) => r.version,
  );
  expect(versions).not.toContain("9002_ok");
});

test("the task queries use indexes on 100k tasks (EXPLAIN)", async () => {
  const sql = data.databaseUrl ? createSql({ url: data.databaseUrl, max: 1 }) : data.sql;
  if (sql !== data.sql) extra.push(sql);
  const [user] = await sql<
    { id: string }[]
  >`INSERT INTO users (email, name, password_hash) VALUES ('plan@example.test', 'P', 'x') RETURNING id`;
  const projects = await sql<
    { id: string }[]
  >`INSERT INTO projects (name) SELECT 'p' || g FROM generate_series(1, 50) g RETURNING id`;
  const ids = projects.map((p) => p.id);
  // Bulk seeding outlasts the API's 5 s statement timeout.
  await sql`SET statement_timeout = 0`;
  await sql`
    INSERT INTO tasks (project_id, title, description, status, priority, labels, due_at, position)
    SELECT (${ids}::uuid[])[1 + g % 50], 'task ' || g, 'about thing ' || (g % 1000),
           (ARRAY['todo','in_progress','done']::task_status[])[1 + g % 3],
           (ARRAY['low','medium','high','urgent']::task_priority[])[1 + g % 4],
           ARRAY['l' || (g % 20)], now() + (g % 90) * interval '1 day', g
    FROM generate_series(1, 100000) g`;
  await sql`INSERT INTO project_members (project_id, user_id, role) SELECT id, ${user?.id ?? ""}, 'owner' FROM projects`;
  await sql`ANALYZE`;
  const plan = async (query: string) =>
    (await sql.unsafe(`EXPLAIN ${query}`)).map((row) => Object.values(row)[0]).join("\n");
  const project = ids[0];
  const board = await plan(
    `SELECT * FROM tasks WHERE project_id = '${project}' AND status = 'todo' ORDER BY position, id LIMIT 51`,
  );
  expect(board).toContain("tasks_board_idx");
  const search = await plan(
    `SELECT * FROM tasks WHERE project_id = '${project}' AND search @@ websearch_to_tsquery('simple', '777') ORDER BY position, id LIMIT 51`,
  );
  expect(search).toContain("tasks_project_search_idx");
  // No pending list for searches to scan: new tasks go straight into the GIN indexes.
  const options = await sql<{ relname: string; reloptions: string[] | null }[]>`
    SELECT relname, reloptions FROM pg_class WHERE relname IN ('tasks_project_search_idx', 'tasks_labels_idx')`;
  expect(options.map((row) => [row.relname, row.reloptions]).sort()).toEqual([
    ["tasks_labels_idx", ["fastupdate=off"]],
    ["tasks_project_search_idx", ["fastupdate=off"]],
  ]);
  const byCreated = await plan(
    `SELECT * FROM tasks WHERE project_id = '${project}' ORDER BY created_at, id LIMIT 51`,
  );
  expect(byCreated).toMatch(/tasks_created_idx|tasks_board_idx|tasks_position_idx/);
  expect(byCreated).not.toContain("Seq Scan on tasks");
}, 120_000);

// ---------------------------------------------------------------------- migrations outside a transaction

test("statements split at top-level semicolons only", () => {
  const text = `-- a comment; not a statement
CREATE TABLE a (x text DEFAULT 'it''s; fine', "odd;name" int);
/* block; /* nested; */ still comment; */
INSERT INTO a VALUES (E'back\\\\slash\\'; quote', 1);
CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;
CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 2; $body$;
SELECT $1;
-- trailing comment only`;
  expect(splitStatements(text)).toEqual([
    `-- a comment; not a statement
CREATE TABLE a (x text DEFAULT 'it''s; fine', "odd;name" int)`,
    `/* block; /* nested; */ still comment; */
INSERT INTO a VALUES (E'back\\\\slash\\'; quote', 1)`,
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$",
    "CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 2; $body$",
    "SELECT $1",
  ]);
});

/** A database of its own with the bundled migrations applied; null on embedded PGlite (no concurrency). */
async function isolatedDatabase(): Promise<{ url: string; sql: Sql } | null> {
  const backends = await testBackends();
  if (backends.kind !== "real") return null;
  const url = await createDatabase(backends.postgresUrl, "tp_migr");
  const sql = createSql({ url, max: 2 });
  extra.push(sql);
  await migrate(sql);
  return { url, sql };
}

const versionsOf = async (sql: Sql) =>
  (await sql<{ version: string }[]>`SELECT version FROM schema_migrations ORDER BY version`).map(
    (r) => r.version,
  );

const indexState = async (sql: Sql, name: string) =>
  (
    await sql<{ valid: boolean }[]>`
      SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = ${name}`
  ).map((row) => row.valid);

test("a no-transaction migration builds an index CONCURRENTLY; ordinary ones around it still run", async () => {
  const db = await isolatedDatabase();
  if (!db) return;
  const next = [
    ...migrations,
    {
      version: "9101_table",
      sql: "CREATE TABLE cic_probe (id int, v text); INSERT INTO cic_probe SELECT g, 'v' || g FROM generate_series(1, 1000) g;",
    },
    {
      version: "9102_index",
      sql: "-- migrate: no-transaction\n-- builds without blocking writes\nCREATE INDEX CONCURRENTLY IF NOT EXISTS cic_probe_v_idx ON cic_probe (v);\nCREATE TABLE IF NOT EXISTS timeout_probe AS SELECT current_setting('statement_timeout') AS v;",
    },
    { version: "9103_after", sql: "ALTER TABLE cic_probe ADD COLUMN w int;" },
  ];
  expect(await pendingMigrations(db.sql, next)).toEqual(["9101_table", "9102_index", "9103_after"]);
  expect(await migrate(db.sql, next)).toEqual(["9101_table", "9102_index", "9103_after"]);
  expect(await indexState(db.sql, "cic_probe_v_idx")).toEqual([true]);
  expect(await versionsOf(db.sql)).toEqual(next.map((m) => m.version));
  expect(await pendingMigrations(db.sql, next)).toEqual([]);
  // Migrations run without the API's 5 s statement timeout; the pool's connection gets it back after.
  expect((await db.sql`SELECT v FROM timeout_probe`)[0]?.v).toBe("0");
  const timeouts = await Promise.all(
    [1, 2].map(async () => (await db.sql`SHOW statement_timeout`)[0]?.statementTimeout),
  );
  expect(timeouts).toEqual(["5s", "5s"]);
  expect(await migrate(db.sql, next)).toEqual([]);
});

test("a CREATE INDEX CONCURRENTLY in an ordinary migration fails with a hint to mark it", async () => {
  const db = await isolatedDatabase();
  if (!db) return;
  const error = await migrate(db.sql, [
    ...migrations,
    { version: "9111_cic_in_tx", sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS x_idx ON tasks (title);" },
  ]).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as Error).message).toContain("migration 9111_cic_in_tx failed");
  expect((error as Error).message).toContain('make "-- migrate: no-transaction" the migration\'s first line');
});

test("no-transaction migrations that could not run again are refused before anything runs", async () => {
  const db = await isolatedDatabase();
  if (!db) return;
  const cases: Array<[string, string]> = [
    [
      "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY unguarded_idx ON tasks (title);",
      "IF NOT EXISTS",
    ],
    ["-- migrate: no-transaction\ncreate unique index concurrently on tasks (title);", "name its index"],
    ["-- migrate: no-transactions\nSELECT 1;", 'unknown directive "-- migrate: no-transactions"'],
  ];
  for (const [sql, expected] of cases) {
    const error = await migrate(db.sql, [
      ...migrations,
      { version: "9121_before", sql: "CREATE TABLE refused_probe (id int);" },
      { version: "9122_refused", sql },
    ]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as Error).message).toContain("9122_refused");
    expect((error as Error).message).toContain(expected);
    // checked before the first pending migration ran
    expect((await db.sql`SELECT to_regclass('refused_probe') AS t`)[0]?.t).toBeNull();
  }
});

test("concurrent migrators apply ordinary and no-transaction migrations exactly once", async () => {
  const db = await isolatedDatabase();
  if (!db) return;
  await db.sql`CREATE TABLE once_probe (migration text)`;
  const next = [
    ...migrations,
    { version: "9131_a", sql: "INSERT INTO once_probe VALUES ('9131_a');" },
    {
      version: "9132_b",
      // not idempotent on purpose: a second run would show as a second row
      sql: "-- migrate: no-transaction\nINSERT INTO once_probe VALUES ('9132_b');\nSELECT pg_sleep(0.2);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS once_probe_idx ON once_probe (migration);",
    },
    { version: "9133_c", sql: "INSERT INTO once_probe VALUES ('9133_c');" },
  ];
  const lines: string[] = [];
  const log = createLogger("info", (line) => lines.push(line));
  const migrators = [1, 2, 3].map(() => createSql({ url: db.url, max: 1 }));
  extra.push(...migrators);
  const results = await Promise.all(migrators.map((sql) => migrate(sql, next, { log })));
  expect(results.flat().sort()).toEqual(["9131_a", "9132_b", "9133_c"]);
  const rows = await db.sql<{ migration: string; n: number }[]>`
    SELECT migration, count(*)::int AS n FROM once_probe GROUP BY 1 ORDER BY 1`;
  expect(rows.map((r) => [r.migration, r.n])).toEqual([
    ["9131_a", 1],
    ["9132_b", 1],
    ["9133_c", 1],
  ]);
  expect(await indexState(db.sql, "once_probe_idx")).toEqual([true]);
  expect(lines.some((line) => line.includes("waiting for the migration lock"))).toBe(true);
});

test("a failing migration leaves the migrations committed before it recorded, and not itself", async () => {
  const db = await isolatedDatabase();
  if (!db) return;
  const base = [
    ...migrations,
    { version: "9141_ok", sql: "CREATE TABLE kept_probe (id int);" },
    {
      version: "9142_index",
      sql: "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS kept_probe_idx ON kept_probe (id);",
    },
  ];
  const error = await migrate(db.sql, [
    ...base,
    { version: "9143_ok_too", sql: "CREATE TABLE rolled_back_probe (id int);" },
    { version: "9144_broken", sql: "ALTER TABLE no_such_table ADD COLUMN x int;" },
  ]).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as Error).message).toStartWith("migration 9144_broken failed: ");
  // committed before the no-transaction migration ended their transaction, and the index itself
  expect(await versionsOf(db.sql)).toEqual(base.map((m) => m.version));
  expect(await indexState(db.sql, "kept_probe_idx")).toEqual([true]);
  // the failing one's own transaction rolled back, with the ordinary migration that shared it
  expect((await db.sql`SELECT to_regclass('rolled_back_probe') AS t`)[0]?.t).toBeNull();

  // A no-transaction migration failing half-way: its first statement stays, it is not recorded, and
  // the fixed migration runs again from its first statement.
  const halfway = (second: string) => ({
    version: "9145_halfway",
    sql: `-- migrate: no-transaction\nCREATE TABLE IF NOT EXISTS halfway_probe (id int);\n${second};`,
  });
  const failed = await migrate(db.sql, [...base, halfway("SELECT no_such_function()")]).catch(
    (e: unknown) => e,
  );
  expect(failed).toBeInstanceOf(MigrationError);
  expect((failed as Error).message).toContain(
    "migration 9145_halfway failed (statement 2 of 2, outside a transaction",
  );
  expect((await db.sql`SELECT to_regclass('halfway_probe') AS t`)[0]?.t).toBe("halfway_probe");
  expect(await versionsOf(db.sql)).not.toContain("9145_halfway");
  expect(await migrate(db.sql, [...base, halfway("SELECT 1")])).toEqual(["9145_halfway"]);
});

test("an index build that failed half-way (INVALID index left behind) is dropped and rebuilt next time", async () => {
  const db = await isolatedDatabase();
  if (!db) return;
  await db.sql`CREATE TABLE invalid_probe (v int)`;
  await db.sql`INSERT INTO invalid_probe SELECT g % 500 FROM generate_series(1, 1000) g`;
  const next = [
    ...migrations,
    {
      version: "9151_unique",
      sql: "-- migrate: no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS invalid_probe_v_key ON invalid_probe (v);",
    },
  ];
  // Duplicates make the build fail after the index was created: PostgreSQL leaves it INVALID.
  const error = await migrate(db.sql, next).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(MigrationError);
  expect((error as Error).message).toContain("9151_unique");
  expect(await indexState(db.sql, "invalid_probe_v_key")).toEqual([false]);
  expect(await versionsOf(db.sql)).not.toContain("9151_unique");

  // IF NOT EXISTS alone would keep the invalid index (and enforce nothing); the next run rebuilds it.
  await db.sql`DELETE FROM invalid_probe WHERE ctid NOT IN (SELECT min(ctid) FROM invalid_probe GROUP BY v)`;
  const lines: string[] = [];
  expect(await migrate(db.sql, next, { log: createLogger("info", (line) => lines.push(line)) })).toEqual([
    "9151_unique",
  ]);
  expect(await indexState(db.sql, "invalid_probe_v_key")).toEqual([true]);
  expect(lines.join("\n")).toContain("dropping an invalid index left by an interrupted build");
  expect(lines.join("\n")).toContain("public.invalid_probe_v_key");
  const duplicate = await db.sql`INSERT INTO invalid_probe VALUES (1)`.catch((e: unknown) => e);
  expect((duplicate as { code?: string }).code).toBe("23505");
});

test("pendingMigrations reads what a process that does not migrate would lack", async () => {
  const backends = await testBackends();
  if (backends.kind !== "real") return;
  const url = await createDatabase(backends.postgresUrl, "tp_migr");
  const sql = createSql({ url, max: 1 });
  extra.push(sql);
  expect(await pendingMigrations(sql)).toEqual(migrations.map((m) => m.version));
  expect((await sql`SELECT to_regclass('schema_migrations') AS t`)[0]?.t).toBeNull();
  await migrate(sql, migrations.slice(0, 1));
  expect(await pendingMigrations(sql)).toEqual(migrations.slice(1).map((m) => m.version));
});
