import { describe, expect, test } from "bun:test";
import { migrations } from "../../migrations/index.ts";
import { lintMigration, lintMigrations, stripSql } from "./migration-lint.ts";

const lint = (sql: string, earlier: string[] = []) =>
  lintMigration(
    { version: "9999_test", sql },
    earlier.map((text, i) => ({ version: `000${i}_earlier`, sql: text })),
  ).map((p) => p.rule);

describe("the migration lint", () => {
  test("every bundled migration is expand-only or a declared contract step", () => {
    expect(lintMigrations(migrations)).toEqual([]);
  });

  test.each([
    ["ALTER TABLE tasks DROP COLUMN title", /DROP/],
    ["DROP TABLE tasks", /DROP/],
    ["DROP INDEX tasks_due_idx", /DROP/],
    ["ALTER TABLE tasks RENAME COLUMN title TO name", /RENAME/],
    ["ALTER TABLE tasks RENAME TO todo", /RENAME/],
    ["ALTER TABLE tasks ALTER COLUMN title TYPE varchar(50)", /type/],
    ["ALTER TABLE tasks ALTER title SET DATA TYPE text", /type/],
    ["ALTER TABLE tasks ALTER COLUMN due_at SET NOT NULL", /SET NOT NULL on tasks.due_at/],
    ["ALTER TABLE tasks ADD COLUMN rank integer NOT NULL", /NOT NULL column without a DEFAULT/],
    ["CREATE INDEX tasks_rank_idx ON tasks (rank)", /CONCURRENTLY/],
    ["CREATE UNIQUE INDEX tasks_rank_idx ON tasks (rank)", /CONCURRENTLY/],
  ])("refuses %s", (sql, rule) => {
    expect(lint(sql)).toEqual([expect.stringMatching(rule)]);
  });

  test.each([
    "ALTER TABLE tasks ALTER COLUMN title DROP NOT NULL",
    "ALTER TABLE tasks ALTER COLUMN title DROP DEFAULT",
    "ALTER TABLE tasks ADD COLUMN rank integer NOT NULL DEFAULT 0",
    "ALTER TABLE tasks ADD COLUMN rank integer",
    "ALTER TABLE tasks ADD CONSTRAINT tasks_rank_present CHECK (rank IS NOT NULL) NOT VALID",
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS tasks_rank_idx ON tasks (rank)",
    "CREATE TABLE things (id uuid PRIMARY KEY, name text NOT NULL); CREATE INDEX things_name_idx ON things (name)",
    "ALTER TYPE member_role ADD VALUE 'guest'",
    "COMMENT ON TABLE tasks IS 'DROP TABLE tasks; RENAME'",
    "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN DROP TABLE x; END $$ LANGUAGE plpgsql",
    "-- DROP TABLE tasks\nSELECT 1",
  ])("accepts %s", (sql) => {
    expect(lint(sql)).toEqual([]);
  });

  test("SET NOT NULL passes after a CHECK (… IS NOT NULL) on that table and column, in this or an earlier migration", () => {
    const check = "ALTER TABLE tasks ADD CONSTRAINT tasks_rank_present CHECK (rank IS NOT NULL) NOT VALID";
    expect(lint("ALTER TABLE tasks ALTER COLUMN rank SET NOT NULL", [check])).toEqual([]);
    expect(lint(`${check}; ALTER TABLE tasks ALTER COLUMN rank SET NOT NULL`)).toEqual([]);
    expect(lint("ALTER TABLE projects ALTER COLUMN rank SET NOT NULL", [check])).toHaveLength(1);
  });

  test("a contract step says so and may then drop and rename", () => {
    expect(
      lint("-- contract step: 0004's triggers are no longer read\nDROP TRIGGER tasks_sync ON tasks"),
    ).toEqual([]);
  });

  test("comments, literals and function bodies are not read as statements", () => {
    expect(stripSql("SELECT 'a;b' -- c\n, $x$ d $x$ /* e */")).toBe("SELECT '' \n, $$ ");
  });
});
