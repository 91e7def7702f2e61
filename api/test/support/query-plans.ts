// Query plans of the endpoints' real statements, on tables large enough for the planner to choose.
import type { Sql } from "../../src/db/client.ts";

/**
 * 40,000 tasks over `projectId` and 19 filler projects (2,000 each); a task whose number is not a
 * multiple of `keepEvery` is archived. Analyzed, so plans reflect the data.
 */
export async function seedArchivedTasks(sql: Sql, projectId: string, keepEvery: number): Promise<void> {
  await sql.begin(async (tx) => {
    // Seeding outlasts the API's 5 s statement timeout on a loaded machine.
    await tx`SET LOCAL statement_timeout = 0`;
    const others = await tx<{ id: string }[]>`
      INSERT INTO projects (name) SELECT 'filler ' || g FROM generate_series(1, 19) g RETURNING id`;
    const ids = [projectId, ...others.map((p) => p.id)];
    await tx`
      INSERT INTO tasks (project_id, title, position, archived_at)
      SELECT (${ids}::uuid[])[1 + g % 20], 'task ' || g, g, CASE WHEN g % ${keepEvery} <> 0 THEN now() END
      FROM generate_series(1, 40000) g`;
  });
  await sql`ANALYZE tasks`;
}

/**
 * The EXPLAIN of the first statement containing `marker` that `request` makes the API send:
 * postgres.js's debug hook hands over every statement as sent, parameters included.
 */
export async function planOfRequest(
  sql: Sql,
  marker: string,
  request: () => Promise<unknown>,
): Promise<string> {
  const statements: { text: string; parameters: unknown[] }[] = [];
  const options = sql.options as { debug: unknown };
  options.debug = (_connection: number, text: string, parameters: unknown[]) => {
    if (text.includes(marker)) statements.push({ text, parameters });
  };
  try {
    await request();
  } finally {
    options.debug = false;
  }
  const [statement] = statements;
  if (!statement) throw new Error(`no statement containing ${JSON.stringify(marker)} was sent`);
  const rows = await sql.unsafe(`EXPLAIN ${statement.text}`, statement.parameters as string[]);
  return rows.map((row) => Object.values(row)[0]).join("\n");
}
