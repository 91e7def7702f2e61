// Tasks: SQL only, `sql` passed in. Every write bumps projects.tasks_version in the same transaction,
// which versions the task-list cache keys: a committed write can never be followed by a stale list.
import type { Queryable, Sql } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import type { Role } from "../projects/access.ts";
import type { ListTasksQuery, Task as TaskResponse, TaskSort, UpdateTask } from "./schemas.ts";

/** A task as read from PostgreSQL: the response type, with Dates for its timestamps. */
export type Task = WithDates<TaskResponse, "dueAt" | "createdAt" | "updatedAt" | "completedAt">;

/** Sort expressions with their SQL type (for the cursor cast) and direction. Nulls sort last. */
const SORTS: Record<TaskSort, { expression: string; type: string; descending: boolean }> = {
  position: { expression: "position", type: "float8", descending: false },
  createdAt: { expression: "created_at", type: "timestamptz", descending: false },
  "-createdAt": { expression: "created_at", type: "timestamptz", descending: true },
  updatedAt: { expression: "updated_at", type: "timestamptz", descending: false },
  "-updatedAt": { expression: "updated_at", type: "timestamptz", descending: true },
  dueAt: { expression: "coalesce(due_at, 'infinity'::timestamptz)", type: "timestamptz", descending: false },
  "-dueAt": {
    expression: "coalesce(due_at, '-infinity'::timestamptz)",
    type: "timestamptz",
    descending: true,
  },
  priority: { expression: "priority", type: "task_priority", descending: false },
  "-priority": { expression: "priority", type: "task_priority", descending: true },
  title: { expression: "title", type: "text", descending: false },
  "-title": { expression: "title", type: "text", descending: true },
};

const POSITION_GAP = 1024;

export const taskColumns = (sql: Queryable) =>
  sql`id, project_id, title, description, status, priority, due_at, labels, assignee_id, position, version, created_at, updated_at, completed_at`;

export function encodeCursor(sortKey: string, id: string): string {
  return Buffer.from(JSON.stringify([sortKey, id])).toString("base64url");
}

export function decodeCursor(cursor: string): [string, string] | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === "string" &&
      value[0].length <= 300 &&
      // PostgreSQL text cannot hold NUL: such a key was never issued by us.
      !value[0].includes("\u0000") &&
      uuid.test(String(value[1]))
    ) {
      return [value[0], value[1]];
    }
  } catch {
    // fall through: not a cursor we issued
  }
  return undefined;
}

/**
 * One task as JSON text, built by PostgreSQL with exactly the fields, order and formats that
 * JSON.stringify gives a Task (timestamps via api_timestamp(), migration 0003): a page of 50 then
 * costs the API one string join instead of parsing 700 values (and 150 dates) and serialising them
 * again.
 */
export const TASK_JSON = `(SELECT row_to_json(r) FROM (SELECT t.id, t.project_id AS "projectId", t.title, t.description,
  t.status, t.priority, api_timestamp(t.due_at) AS "dueAt", t.labels, t.assignee_id AS "assigneeId", t.position,
  t.version, api_timestamp(t.created_at) AS "createdAt", api_timestamp(t.updated_at) AS "updatedAt",
  api_timestamp(t.completed_at) AS "completedAt") r)::text`;

export interface ParsedSearch {
  /** to_tsquery('simple', …) input, or null when no term has a letter or digit. */
  tsquery: string | null;
  /** Terms without letters or digits (emoji, symbols), which the text-search parser drops. */
  literals: { text: string; negated: boolean }[];
}

/**
 * The search box's text as a tsquery: words (all required), "quoted phrases", -excluded terms and
 * `or` between terms, like websearch_to_tsquery, except that the last word also matches longer words
 * (`analyt` finds "analytics") since lists refresh as the user types. User text only ever reaches
 * to_tsquery inside a quoted, escaped lexeme, so operators typed by the user (`!`, `|`, `:*`, `(`) are
 * plain text. Terms without a letter or digit yield no lexeme (an emoji is not a word to the parser,
 * nor to pg_trgm), so they are matched as text within the project instead.
 */
export function parseSearch(q: string): ParsedSearch {
  const tokens = [...q.matchAll(/(-?)(?:"([^"]*)"?|([^\s"]+))/gu)].map((match) => ({
    negated: match[1] === "-",
    quoted: match[2] !== undefined,
    text: match[2] ?? match[3] ?? "",
  }));
  const literals: ParsedSearch["literals"] = [];
  let tsquery = "";
  let pendingOr = false;
  tokens.forEach((token, index) => {
    const last = index === tokens.length - 1;
    const isOr = !token.quoted && !token.negated && token.text.toLowerCase() === "or";
    // `or` between two terms is the operator; first or last it is a word being typed ("or" → "order").
    if (isOr && tsquery && !last) {
      pendingOr = true;
      return;
    }
    if (!/[\p{L}\p{N}]/u.test(token.text)) {
      if (token.text) literals.push({ text: token.text, negated: token.negated });
      pendingOr = false;
      return;
    }
    const lexeme = `'${token.text.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
    const prefix = last && !token.quoted && !token.negated ? ":*" : "";
    const operand = `${token.negated ? "!" : ""}${lexeme}${prefix}`;
    tsquery = tsquery ? `${tsquery} ${pendingOr ? "|" : "&"} ${operand}` : operand;
    pendingOr = false;
  });
  return { tsquery: tsquery || null, literals };
}

/** A page of tasks as the JSON body of GET /api/tasks: {"items":[…],"nextCursor":…}. */
export async function listTasksJson(
  sql: Sql,
  query: ListTasksQuery,
  cursor?: [string, string],
): Promise<string> {
  const sort = SORTS[query.sort];
  const expression = sql.unsafe(sort.expression);
  const conditions = [sql`project_id = ${query.projectId}`];
  if (query.status) conditions.push(sql`status = ${query.status}`);
  if (query.priority) conditions.push(sql`priority = ${query.priority}`);
  if (query.label) conditions.push(sql`labels @> ARRAY[${query.label}]::text[]`);
  if (query.assigneeId) conditions.push(sql`assignee_id = ${query.assigneeId}`);
  if (query.dueBefore) conditions.push(sql`due_at < ${query.dueBefore}::timestamptz`);
  if (query.dueAfter) conditions.push(sql`due_at >= ${query.dueAfter}::timestamptz`);
  if (query.q) {
    const search = parseSearch(query.q);
    if (search.tsquery) conditions.push(sql`search @@ to_tsquery('simple', ${search.tsquery})`);
    for (const { text, negated } of search.literals) {
      conditions.push(
        sql`strpos(lower(title || ' ' || description), lower(${text})) ${sql.unsafe(negated ? "=" : ">")} 0`,
      );
    }
  }
  if (cursor) {
    // Via text: a parameter typed timestamptz would pass through a JS Date and lose its microseconds.
    const after = sql`(${cursor[0]}::text::${sql.unsafe(sort.type)}, ${cursor[1]}::uuid)`;
    conditions.push(
      sort.descending ? sql`(${expression}, id) < ${after}` : sql`(${expression}, id) > ${after}`,
    );
  }
  const where = conditions.reduce((all, condition) => sql`${all} AND ${condition}`);
  const direction = sql.unsafe(sort.descending ? "DESC" : "ASC");
  const rows = await sql<{ json: string; id: string; sortKey: string }[]>`
    SELECT ${sql.unsafe(TASK_JSON)} AS json, t.id, (${expression})::text AS sort_key
    FROM tasks t WHERE ${where}
    ORDER BY ${expression} ${direction}, t.id ${direction}
    LIMIT ${query.limit + 1}`;
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const nextCursor = rows.length > query.limit && last ? encodeCursor(last.sortKey, last.id) : null;
  return `{"items":[${page.map((row) => row.json).join(",")}],"nextCursor":${JSON.stringify(nextCursor)}}`;
}

/** The task and the caller's role in its project (null for non-members), in one query. */
export async function getTaskWithRole(
  sql: Sql,
  id: string,
  userId: string,
): Promise<{ task: Task; role: Role | null } | undefined> {
  const [row] = await sql<(Task & { memberRole: Role | null })[]>`
    SELECT ${taskColumns(sql)},
      (SELECT role FROM project_members m WHERE m.project_id = tasks.project_id AND m.user_id = ${userId}) AS member_role
    FROM tasks WHERE id = ${id}`;
  if (!row) return undefined;
  const { memberRole, ...task } = row;
  return { task, role: memberRole };
}

/*
 * Every task write starts by bumping its project's tasks_version. Besides versioning the list cache,
 * that row lock puts the project's writers in a queue, always taken in the same order (project, then
 * task): a write that locked the task first and the project last could deadlock with a move that locks
 * them the other way round. It also makes concurrent creates see each other's positions. A write
 * refused for a stale version commits the bump too; that only costs the next list a cache miss.
 */
const lockProject = (sql: Queryable, projectId: string) =>
  sql`UPDATE projects SET tasks_version = tasks_version + 1 WHERE id = ${projectId}`;

/** lockProject for the task's project; false when there is no such task. */
const lockProjectOfTask = async (sql: Queryable, taskId: string): Promise<boolean> => {
  const rows = await sql`
    UPDATE projects SET tasks_version = tasks_version + 1
    WHERE id = (SELECT project_id FROM tasks WHERE id = ${taskId}) RETURNING id`;
  return rows.length > 0;
};

const lockTask = async (sql: Queryable, id: string): Promise<Task | undefined> => {
  const [task] = await sql<Task[]>`SELECT ${taskColumns(sql)} FROM tasks WHERE id = ${id} FOR UPDATE`;
  return task;
};

export interface NewTask {
  projectId: string;
  title: string;
  description?: string;
  status?: Task["status"];
  priority?: Task["priority"];
  dueAt?: string | null;
  labels?: string[];
  assigneeId?: string | null;
}

export async function createTask(sql: Sql, input: NewTask): Promise<Task> {
  const status = input.status ?? "todo";
  return sql.begin(async (tx) => {
    await lockProject(tx, input.projectId);
    const [task] = await tx<Task[]>`
      INSERT INTO tasks (project_id, title, description, status, priority, due_at, labels, assignee_id, position, completed_at)
      SELECT ${input.projectId}, ${input.title}, ${input.description ?? ""}, ${status}, ${input.priority ?? "medium"},
             ${input.dueAt ?? null}::timestamptz, ${input.labels ?? []}::text[], ${input.assigneeId ?? null}::uuid,
             coalesce(max(position), 0) + ${POSITION_GAP},
             CASE WHEN ${status} = 'done' THEN now() END
      FROM tasks WHERE project_id = ${input.projectId} AND status = ${status}
      RETURNING ${taskColumns(tx)}`;
    if (!task) throw new Error("insert returned no row");
    return task;
  });
}

export type WriteOutcome =
  | { kind: "ok"; task: Task /** other tasks of the column got new positions */; renumbered?: boolean }
  | { kind: "not_found" }
  | { kind: "conflict"; current: Task };

/** Applies changes if the task is at `expectedVersion` (when given); otherwise reports the conflict. */
export async function updateTask(
  sql: Sql,
  id: string,
  changes: UpdateTask,
  expectedVersion?: number,
): Promise<WriteOutcome> {
  return sql.begin(async (tx) => {
    const current = (await lockProjectOfTask(tx, id)) ? await lockTask(tx, id) : undefined;
    if (!current) return { kind: "not_found" };
    if (expectedVersion !== undefined && current.version !== expectedVersion)
      return { kind: "conflict", current };
    const status = changes.status ?? current.status;
    const [task] = await tx<Task[]>`
      UPDATE tasks SET
        title = ${changes.title ?? current.title},
        description = ${changes.description ?? current.description},
        status = ${status},
        priority = ${changes.priority ?? current.priority},
        due_at = ${changes.dueAt === undefined ? current.dueAt : changes.dueAt}::timestamptz,
        labels = ${changes.labels ?? current.labels}::text[],
        assignee_id = ${changes.assigneeId === undefined ? current.assigneeId : changes.assigneeId}::uuid,
        completed_at = ${status === "done" ? (current.completedAt ?? new Date()) : null}::timestamptz,
        version = version + 1,
        updated_at = now()
      WHERE id = ${id}
      RETURNING ${taskColumns(tx)}`;
    return task ? { kind: "ok", task } : { kind: "not_found" };
  });
}

/**
 * Moves a task to `index` (0-based) in the `status` column. Positions are sort keys with gaps; the
 * new key is the midpoint of the neighbours, and a column is renumbered when the gap runs out.
 * Moves in a project are serialised by the project lock every write takes first.
 */
export async function moveTask(
  sql: Sql,
  id: string,
  status: Task["status"],
  index: number,
  expectedVersion?: number,
): Promise<WriteOutcome> {
  return sql.begin(async (tx) => {
    const locked = (await lockProjectOfTask(tx, id)) ? await lockTask(tx, id) : undefined;
    if (!locked) return { kind: "not_found" };
    if (expectedVersion !== undefined && locked.version !== expectedVersion)
      return { kind: "conflict", current: locked };

    /** The positions around `index` in the target column (without the task), in one query. */
    const neighbours = async () => {
      const [row] = await tx<{ size: number; around: number[] | null }[]>`
        WITH col AS (SELECT position, id FROM tasks WHERE project_id = ${locked.projectId} AND status = ${status} AND id <> ${id}),
             sized AS (SELECT count(*)::int AS size FROM col)
        SELECT sized.size, (SELECT array_agg(position ORDER BY position, id) FROM (
            SELECT position, id FROM col ORDER BY position, id
            OFFSET greatest(least(${index}::int, sized.size) - 1, 0) LIMIT 2) around) AS around
        FROM sized`;
      const at = Math.min(index, row?.size ?? 0);
      const around = row?.around ?? [];
      return at === 0 ? { before: undefined, after: around[0] } : { before: around[0], after: around[1] };
    };
    let { before, after } = await neighbours();
    const renumbered = before !== undefined && after !== undefined && after - before < 1e-6;
    if (renumbered) {
      await tx`
        UPDATE tasks SET position = ordered.rank * ${POSITION_GAP}
        FROM (SELECT id, row_number() OVER (ORDER BY position, id) AS rank FROM tasks
              WHERE project_id = ${locked.projectId} AND status = ${status}) AS ordered
        WHERE tasks.id = ordered.id`;
      ({ before, after } = await neighbours());
    }
    const position =
      before === undefined && after === undefined
        ? POSITION_GAP
        : before === undefined
          ? (after as number) - POSITION_GAP
          : after === undefined
            ? before + POSITION_GAP
            : (before + after) / 2;
    const [task] = await tx<Task[]>`
      UPDATE tasks SET
        status = ${status},
        position = ${position},
        completed_at = ${status === "done" ? (locked.completedAt ?? new Date()) : null}::timestamptz,
        version = version + 1,
        updated_at = now()
      WHERE id = ${id}
      RETURNING ${taskColumns(tx)}`;
    return task ? { kind: "ok", task, renumbered } : { kind: "not_found" };
  });
}

export async function deleteTask(sql: Sql, id: string, expectedVersion?: number): Promise<WriteOutcome> {
  return sql.begin(async (tx) => {
    const current = (await lockProjectOfTask(tx, id)) ? await lockTask(tx, id) : undefined;
    if (!current) return { kind: "not_found" };
    if (expectedVersion !== undefined && current.version !== expectedVersion)
      return { kind: "conflict", current };
    await tx`DELETE FROM tasks WHERE id = ${id}`;
    return { kind: "ok", task: current };
  });
}
