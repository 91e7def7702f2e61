import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { migrations } from "../../migrations/index.ts";
import { freshData } from "../../test/support/harness.ts";
import { createSql, type Sql } from "./client.ts";
import { MigrationError, migrate } from "./migrate.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

test("every .sql file in api/migrations is embedded, in order", () => {
  const files = readdirSync(join(import.meta.dir, "../../migrations"))
    .filter((file) => file.endsWith(".sql"))
    .sort()
    .map((file) => file.replace(/\.sql$/, ""));
  expect(migrations.map((m) => m.version)).toEqual(files);
});

let data: Awaited<ReturnType<typeof freshData>>;
// One connection, so the session setting below applies to every statement of the seeding.
let extra: Sql[] = [];
beforeAll(async () => {
  data = await freshData();
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
