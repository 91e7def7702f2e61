// Expand-only migrations: during an upgrade the previous release keeps serving on the schema these
// migrations leave behind (docs/upgrades.md), so a migration may add but never take away what that
// release reads or writes. This lint refuses, in any migration not marked as a contract step:
//   - DROP of anything but a NOT NULL constraint or a default (relaxing is expand-safe);
//   - RENAME of a table, column, constraint, index or type;
//   - a column's type changed (ALTER … TYPE);
//   - SET NOT NULL, unless an earlier statement added a CHECK (<column> IS NOT NULL) constraint on
//     that table (the prior check proving the data and the running version comply);
//   - a new NOT NULL column without a DEFAULT (the previous release's INSERTs would fail);
//   - CREATE INDEX without CONCURRENTLY on a table the migration did not create (it blocks writes
//     for the whole build).
// A contract step (the release after the expand step, once no running version reads the old shape)
// says so in a comment line: `-- contract step: <why>`.
import type { Migration } from "./migrate.ts";

export const CONTRACT_MARKER = /^--\s*contract step:/m;

/**
 * Migrations released before the index rule existed: they built indexes without CONCURRENTLY on
 * tables that were small then. Nothing may be added to this list.
 */
const RELEASED_BEFORE_INDEX_RULE = new Set(["0002_project_search_index", "0007_archive_labels"]);

export interface LintProblem {
  version: string;
  statement: string;
  rule: string;
}

/**
 * The SQL with comments removed and string literals and dollar-quoted bodies emptied, read left to
 * right: an apostrophe inside a comment starts no literal, and `--` inside a literal starts no comment.
 */
export function stripSql(sql: string): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const rest = sql.slice(i);
    const dollar = /^\$([A-Za-z_]\w*)?\$/.exec(rest);
    if (rest.startsWith("--")) {
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end;
    } else if (rest.startsWith("/*")) {
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (rest.startsWith("'")) {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1;
      out += "''";
      i = j + 1;
    } else if (dollar) {
      const end = sql.indexOf(dollar[0], i + dollar[0].length);
      out += "$$";
      i = end < 0 ? sql.length : end + dollar[0].length;
    } else {
      out += sql[i];
      i += 1;
    }
  }
  return out;
}

function statementsOf(sql: string): string[] {
  return stripSql(sql)
    .split(";")
    .map((s) => s.replace(/\s+/g, " ").trim())
    .filter(Boolean);
}

const unquote = (name: string) => name.replace(/"/g, "").toLowerCase();

export function lintMigration(migration: Migration, earlier: readonly Migration[] = []): LintProblem[] {
  if (CONTRACT_MARKER.test(migration.sql)) return [];
  const problems: LintProblem[] = [];
  const flag = (statement: string, rule: string) =>
    problems.push({ version: migration.version, statement: statement.slice(0, 200), rule });
  const created = new Set<string>();
  const checkedNotNull = new Set<string>();
  for (const statement of [...earlier, migration].flatMap((m) => statementsOf(m.sql))) {
    for (const check of statement.matchAll(/CHECK \(\s*"?(\w+)"? IS NOT NULL\s*\)/gi)) {
      const table = /^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?("?[\w.]+"?)/i.exec(statement)?.[1];
      if (table && check[1]) checkedNotNull.add(`${unquote(table)}.${check[1].toLowerCase()}`);
    }
  }
  for (const statement of statementsOf(migration.sql)) {
    const table = /^CREATE (?:UNLOGGED )?TABLE (?:IF NOT EXISTS )?("?[\w.]+"?)/i.exec(statement)?.[1];
    if (table) created.add(unquote(table));

    const withoutRelaxing = statement.replace(/\bDROP (NOT NULL|DEFAULT)\b/gi, "");
    if (/\bDROP\b/i.test(withoutRelaxing)) flag(statement, "DROP removes what the previous release may read");
    if (/\bRENAME\b/i.test(statement)) flag(statement, "RENAME breaks the previous release's queries");
    if (/\bALTER (?:COLUMN )?"?\w+"? (?:SET DATA )?TYPE\b/i.test(statement))
      flag(statement, "changing a column's type breaks the previous release (and rewrites the table)");
    const alteredTable = /^ALTER TABLE (?:IF EXISTS )?(?:ONLY )?("?[\w.]+"?)/i.exec(statement)?.[1];
    for (const setNotNull of statement.matchAll(/ALTER (?:COLUMN )?"?(\w+)"? SET NOT NULL/gi)) {
      const column = `${unquote(alteredTable ?? "")}.${setNotNull[1]?.toLowerCase()}`;
      if (!checkedNotNull.has(column))
        flag(statement, `SET NOT NULL on ${column} without a prior CHECK (${setNotNull[1]} IS NOT NULL)`);
    }
    for (const added of statement.matchAll(
      /ADD (?:COLUMN )?(?:IF NOT EXISTS )?(?!CONSTRAINT |PRIMARY |UNIQUE |CHECK |FOREIGN |EXCLUDE )"?\w+"? ([^,]*)/gi,
    )) {
      const definition = added[1] ?? "";
      if (/\bNOT NULL\b/i.test(definition) && !/\bDEFAULT\b/i.test(definition) && alteredTable)
        flag(statement, "a NOT NULL column without a DEFAULT: the previous release's INSERTs fail");
    }
    const index = /^CREATE (?:UNIQUE )?INDEX (CONCURRENTLY )?.*? ON (?:ONLY )?("?[\w.]+"?)/i.exec(statement);
    if (
      index &&
      !index[1] &&
      !created.has(unquote(index[2] ?? "")) &&
      !RELEASED_BEFORE_INDEX_RULE.has(migration.version)
    )
      flag(statement, "CREATE INDEX on an existing table without CONCURRENTLY blocks its writes");
  }
  return problems;
}

/** Every problem of a list of migrations, each judged with the ones before it. */
export function lintMigrations(migrations: readonly Migration[]): LintProblem[] {
  return migrations.flatMap((migration, i) => lintMigration(migration, migrations.slice(0, i)));
}
