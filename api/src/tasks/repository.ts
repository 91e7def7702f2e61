// Tasks: SQL only. Every function takes the queryable first (the pool, or the transaction of the use
// case in service.ts). Every write bumps projects.tasks_version in the use case's transaction, which
// versions the task-list cache keys: a committed write can never be followed by a stale list.
import type { Queryable } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import type { Role } from "../projects/access.ts";
import type { Recurrence } from "../recurrence/rule.ts";
import type { ListTasksQuery, Task as TaskResponse, TaskSort, UpdateTask } from "./schemas.ts";

/** A task as read from PostgreSQL: the response type, with Dates for its timestamps. */
export type Task = WithDates<
  TaskResponse,
  "dueAt" | "createdAt" | "updatedAt" | "completedAt" | "archivedAt"
>;

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

/** Distance between neighbouring positions in a freshly numbered column. */
export const POSITION_GAP = 1024;

/** A task's recurrence (migration 0013) as one JSON value, null when it does not repeat. */
export const RECURRENCE_JSON = `CASE WHEN recurrence_rule IS NOT NULL THEN json_build_object('rule', recurrence_rule,
  'from', recurrence_from, 'timeZone', recurrence_time_zone) END`;

export const taskColumns = (sql: Queryable) =>
  sql`id, project_id, title, description, status, column_id, priority, due_at, labels, assignee_id, position, version, created_at, updated_at, completed_at, archived_at, ${sql.unsafe(RECURRENCE_JSON)} AS recurrence`;

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
  t.status, t.column_id AS "columnId", t.priority, api_timestamp(t.due_at) AS "dueAt", t.labels, t.assignee_id AS "assigneeId", t.position,
  t.version, api_timestamp(t.created_at) AS "createdAt", api_timestamp(t.updated_at) AS "updatedAt",
  api_timestamp(t.completed_at) AS "completedAt", api_timestamp(t.archived_at) AS "archivedAt",
  ${RECURRENCE_JSON.replaceAll("recurrence_", "t.recurrence_")} AS recurrence) r)::text`;

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
  db: Queryable,
  query: ListTasksQuery,
  cursor?: [string, string],
): Promise<string> {
  const sort = SORTS[query.sort];
  const expression = db.unsafe(sort.expression);
  const conditions = [db`project_id = ${query.projectId}`];
  // Tasks in use, by default: the position order then runs on tasks_active_position_idx (migration 0007).
  if (query.archived === "false") conditions.push(db`archived_at IS NULL`);
  if (query.archived === "true") conditions.push(db`archived_at IS NOT NULL`);
  if (query.status) conditions.push(db`status = ${query.status}`);
  if (query.priority) conditions.push(db`priority = ${query.priority}`);
  if (query.label) conditions.push(db`labels @> ARRAY[${query.label}]::text[]`);
  if (query.assigneeId) conditions.push(db`assignee_id = ${query.assigneeId}`);
  if (query.hasOpenChecklist) {
    // Depends on checklist rows: every checklist write bumps tasks_version too (checklists/service.ts).
    const open = db`EXISTS (SELECT 1 FROM checklist_items c WHERE c.task_id = t.id AND NOT c.done)`;
    conditions.push(query.hasOpenChecklist === "true" ? open : db`NOT ${open}`);
  }
  if (query.dueBefore) conditions.push(db`due_at < ${query.dueBefore}::timestamptz`);
  if (query.dueAfter) conditions.push(db`due_at >= ${query.dueAfter}::timestamptz`);
  if (query.q) {
    const search = parseSearch(query.q);
    if (search.tsquery) conditions.push(db`search @@ to_tsquery('simple', ${search.tsquery})`);
    for (const { text, negated } of search.literals) {
      conditions.push(
        db`strpos(lower(title || ' ' || description), lower(${text})) ${db.unsafe(negated ? "=" : ">")} 0`,
      );
    }
  }
  if (cursor) {
    // Via text: a parameter typed timestamptz would pass through a JS Date and lose its microseconds.
    const after = db`(${cursor[0]}::text::${db.unsafe(sort.type)}, ${cursor[1]}::uuid)`;
    conditions.push(
      sort.descending ? db`(${expression}, id) < ${after}` : db`(${expression}, id) > ${after}`,
    );
  }
  const where = conditions.reduce((all, condition) => db`${all} AND ${condition}`);
  const direction = db.unsafe(sort.descending ? "DESC" : "ASC");
  const rows = await db<{ json: string; id: string; sortKey: string }[]>`
    SELECT ${db.unsafe(TASK_JSON)} AS json, t.id, (${expression})::text AS sort_key
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
  db: Queryable,
  id: string,
  userId: string,
): Promise<{ task: Task; role: Role | null; projectArchivedAt: Date | null } | undefined> {
  const [row] = await db<(Task & { memberRole: Role | null; projectArchivedAt: Date | null })[]>`
    SELECT ${taskColumns(db)},
      (SELECT role FROM project_members m WHERE m.project_id = tasks.project_id AND m.user_id = ${userId}) AS member_role,
      (SELECT p.archived_at FROM projects p WHERE p.id = tasks.project_id) AS project_archived_at
    FROM tasks WHERE id = ${id}`;
  if (!row) return undefined;
  const { memberRole, projectArchivedAt, ...task } = row;
  return { task, role: memberRole, projectArchivedAt };
}

/*
 * Every task write starts by bumping its project's tasks_version. Besides versioning the list cache,
 * that row lock puts the project's writers in a queue, always taken in the same order (project, then
 * task): a write that locked the task first and the project last could deadlock with a move that locks
 * them the other way round. It also makes concurrent creates see each other's positions. A write
 * refused for a stale version commits the bump too; that only costs the next list a cache miss.
 */
export const lockProject = (tx: Queryable, projectId: string) =>
  tx`UPDATE projects SET tasks_version = tasks_version + 1 WHERE id = ${projectId}`;

/** lockProject for the task's project; false when there is no such task. */
export const lockProjectOfTask = async (tx: Queryable, taskId: string): Promise<boolean> => {
  const rows = await tx`
    UPDATE projects SET tasks_version = tasks_version + 1
    WHERE id = (SELECT project_id FROM tasks WHERE id = ${taskId}) RETURNING id`;
  return rows.length > 0;
};

export const lockTask = async (tx: Queryable, id: string): Promise<Task | undefined> => {
  const [task] = await tx<Task[]>`SELECT ${taskColumns(tx)} FROM tasks WHERE id = ${id} FOR UPDATE`;
  return task;
};

/** The column a task is written into: its kind is the task's status, `done` sets its completion time. */
export interface TargetColumn {
  id: string;
  name: string;
  kind: Task["status"];
  done: boolean;
}

/**
 * The project's column `columnId`, or else the first column (board order) of `status`'s kind: how the
 * API's `status` maps onto the project's columns. Undefined for a column of another project.
 */
export async function findColumn(
  tx: Queryable,
  projectId: string,
  target: { columnId?: string; status?: Task["status"] },
): Promise<TargetColumn | undefined> {
  const [column] = target.columnId
    ? await tx<TargetColumn[]>`
        SELECT id, name, kind::text AS kind, done FROM columns WHERE project_id = ${projectId} AND id = ${target.columnId}`
    : await tx<TargetColumn[]>`
        SELECT id, name, kind::text AS kind, done FROM columns
        WHERE project_id = ${projectId} AND kind = ${target.status ?? "todo"}::column_kind
        ORDER BY position, id LIMIT 1`;
  return column;
}

/**
 * SET items for the locked task `current` going into `column` (the same or another): status = the
 * column's kind, and the completion time, kept while the task stays in done columns, none otherwise.
 * Migration 0008's trigger derives status from column_id too; writing both keeps this version's
 * answers right without reading the row back.
 */
const columnAssignments = (tx: Queryable, current: Task, column: TargetColumn) =>
  tx`status = ${column.kind}, column_id = ${column.id},
     completed_at = ${column.done ? (current.completedAt ?? new Date()) : null}::timestamptz`;

export interface NewTask {
  projectId: string;
  /** The column, else the first column of `status`'s kind. */
  columnId?: string;
  title: string;
  description?: string;
  status?: Task["status"];
  priority?: Task["priority"];
  dueAt?: string | null;
  labels?: string[];
  assigneeId?: string | null;
  /** The rule in canonical form and the zone it is computed in (recurrence/schemas.ts). */
  recurrence?: Recurrence | null;
}

/** The recurrence's three columns as a row value, all null for a task that does not repeat. */
const recurrenceValues = (tx: Queryable, recurrence: Recurrence | null | undefined) =>
  tx`${recurrence?.rule ?? null}::text, ${recurrence?.from ?? null}::text, ${recurrence?.timeZone ?? null}::text`;

/** Inserts at the end of `column`. Call with the project locked, so concurrent creates queue. */
export async function insertTask(tx: Queryable, input: NewTask, column: TargetColumn): Promise<Task> {
  const [task] = await tx<Task[]>`
    INSERT INTO tasks (project_id, title, description, status, column_id, priority, due_at, labels, assignee_id, position, completed_at,
                       recurrence_rule, recurrence_from, recurrence_time_zone)
    SELECT ${input.projectId}, ${input.title}, ${input.description ?? ""}, ${column.kind}, ${column.id},
           ${input.priority ?? "medium"}, ${input.dueAt ?? null}::timestamptz, ${input.labels ?? []}::text[],
           ${input.assigneeId ?? null}::uuid, coalesce(max(position), 0) + ${POSITION_GAP},
           CASE WHEN ${column.done} THEN now() END, ${recurrenceValues(tx, input.recurrence)}
    FROM tasks WHERE project_id = ${input.projectId} AND column_id = ${column.id}
    RETURNING ${taskColumns(tx)}`;
  if (!task) throw new Error("insert returned no row");
  return task;
}

/**
 * Writes `changes` over the locked task `current`; `column` is where a changed status takes it (the
 * first column of that kind), undefined to stay in its column.
 */
export async function updateTask(
  tx: Queryable,
  current: Task,
  changes: Omit<UpdateTask, "recurrence"> & { recurrence?: Recurrence | null },
  column: TargetColumn | undefined,
): Promise<Task | undefined> {
  const [task] = await tx<Task[]>`
    UPDATE tasks SET
      title = ${changes.title ?? current.title},
      description = ${changes.description ?? current.description},
      ${column ? columnAssignments(tx, current, column) : tx`status = status`},
      priority = ${changes.priority ?? current.priority},
      due_at = ${changes.dueAt === undefined ? current.dueAt : changes.dueAt}::timestamptz,
      labels = ${changes.labels ?? current.labels}::text[],
      assignee_id = ${changes.assigneeId === undefined ? current.assigneeId : changes.assigneeId}::uuid,
      (recurrence_rule, recurrence_from, recurrence_time_zone) =
        (${recurrenceValues(tx, changes.recurrence === undefined ? current.recurrence : changes.recurrence)}),
      version = version + 1,
      updated_at = now()
    WHERE id = ${current.id}
    RETURNING ${taskColumns(tx)}`;
  return task;
}

/**
 * The positions either side of `index` (0-based) in column `columnId` of the project, leaving out
 * `taskId` (the task being moved), in one query.
 */
export async function neighbourPositions(
  tx: Queryable,
  projectId: string,
  columnId: string,
  taskId: string,
  index: number,
): Promise<{ before?: number; after?: number }> {
  const [row] = await tx<{ size: number; around: number[] | null }[]>`
    WITH col AS (SELECT position, id FROM tasks WHERE project_id = ${projectId} AND column_id = ${columnId} AND id <> ${taskId}
                 AND archived_at IS NULL),
         sized AS (SELECT count(*)::int AS size FROM col)
    SELECT sized.size, (SELECT array_agg(position ORDER BY position, id) FROM (
        SELECT position, id FROM col ORDER BY position, id
        OFFSET greatest(least(${index}::int, sized.size) - 1, 0) LIMIT 2) around) AS around
    FROM sized`;
  const at = Math.min(index, row?.size ?? 0);
  const around = row?.around ?? [];
  return at === 0 ? { before: undefined, after: around[0] } : { before: around[0], after: around[1] };
}

/** Gives the column's tasks positions POSITION_GAP apart again, in their order. */
export async function renumberColumn(tx: Queryable, projectId: string, columnId: string): Promise<void> {
  await tx`
    UPDATE tasks SET position = ordered.rank * ${POSITION_GAP}
    FROM (SELECT id, row_number() OVER (ORDER BY position, id) AS rank FROM tasks
          WHERE project_id = ${projectId} AND column_id = ${columnId}) AS ordered
    WHERE tasks.id = ordered.id`;
}

/** Puts the locked task `current` at `position` in `column`. */
export async function placeTask(
  tx: Queryable,
  current: Task,
  column: TargetColumn,
  position: number,
): Promise<Task | undefined> {
  const [task] = await tx<Task[]>`
    UPDATE tasks SET
      ${columnAssignments(tx, current, column)},
      position = ${position},
      version = version + 1,
      updated_at = now()
    WHERE id = ${current.id}
    RETURNING ${taskColumns(tx)}`;
  return task;
}

/** Archives (true) or restores (false) the locked task: a new version, like any task write. */
export async function setTaskArchived(
  tx: Queryable,
  id: string,
  archived: boolean,
): Promise<Task | undefined> {
  const [task] = await tx<Task[]>`
    UPDATE tasks SET archived_at = ${archived ? tx`now()` : null}, version = version + 1, updated_at = now()
    WHERE id = ${id}
    RETURNING ${taskColumns(tx)}`;
  return task;
}

export async function deleteTask(tx: Queryable, id: string): Promise<void> {
  await tx`DELETE FROM tasks WHERE id = ${id}`;
}

/**
 * Unassigns a member from every task of the project (each task's version bumped like any task write,
 * and the project's tasks_version when any changed); returns those tasks for the events.
 */
export async function unassignMember(tx: Queryable, projectId: string, userId: string): Promise<Task[]> {
  const unassigned = await tx<Task[]>`
    UPDATE tasks SET assignee_id = NULL, version = version + 1, updated_at = now()
    WHERE project_id = ${projectId} AND assignee_id = ${userId}
    RETURNING ${taskColumns(tx)}`;
  if (unassigned.length > 0) await lockProject(tx, projectId);
  return [...unassigned];
}

/** The project's column `columnId` (id and name), for an activity entry; undefined if it is gone. */
export async function columnRef(
  tx: Queryable,
  projectId: string,
  columnId: string | null,
): Promise<{ id: string; name: string } | undefined> {
  if (!columnId) return undefined;
  const [column] = await tx<{ id: string; name: string }[]>`
    SELECT id, name FROM columns WHERE project_id = ${projectId} AND id = ${columnId}`;
  return column;
}
