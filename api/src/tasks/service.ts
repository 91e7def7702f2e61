// Task use cases. Each write runs in one transaction opened here (so a later activity row or queued
// job joins it), takes the project lock before the task's (tasks/repository.ts says why), and publishes
// its events only after the commit: a client told of a change can always read it.
import { recordActivity } from "../activity/repository.ts";
import { type Queryable, timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { ApiError, notFound, validationFailed } from "../http/errors.ts";
import type { Label } from "../labels/repository.ts";
import * as labels from "../labels/repository.ts";
import { announce, type Created, notify } from "../notifications/service.ts";
import {
  assertNotArchived,
  assertRole,
  findMembership,
  requireRole,
  requireWritable,
} from "../projects/access.ts";
import {
  createNextOccurrence,
  type NextOccurrence,
  publishNextOccurrence,
  resolveRecurrence,
} from "../recurrence/service.ts";
import { createListCache, type ListBody } from "./cache.ts";
import * as tasks from "./repository.ts";
import type { CreateTask, ListTasksQuery, UpdateTask } from "./schemas.ts";

export type WriteOutcome =
  | { kind: "ok"; task: tasks.Task /** other tasks of the column got new positions */; renumbered?: boolean }
  | { kind: "not_found" }
  | { kind: "conflict"; current: tasks.Task };

/**
 * The version the client last saw (If-Match), or undefined to apply regardless. A function, read after
 * the access and assignee checks: their answers (404, 403, 422) come before a malformed header's 400.
 */
export type ExpectedVersion = () => number | undefined;

/** The fields an edit changed, each with its value before and after (as the API shows them). */
const TRACKED_FIELDS = [
  "title",
  "description",
  "status",
  "priority",
  "dueAt",
  "labels",
  "assigneeId",
  "recurrence",
] as const;
function changedFields(
  before: tasks.Task,
  after: tasks.Task,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of TRACKED_FIELDS) {
    const from = JSON.parse(JSON.stringify(before[field] ?? null));
    const to = JSON.parse(JSON.stringify(after[field] ?? null));
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[field] = { from, to };
  }
  return changes;
}

/** A sort key between two neighbours; either may be missing (an end of the column). */
function positionBetween(before: number | undefined, after: number | undefined): number {
  if (before === undefined && after === undefined) return tasks.POSITION_GAP;
  if (before === undefined) return (after as number) - tasks.POSITION_GAP;
  if (after === undefined) return before + tasks.POSITION_GAP;
  return (before + after) / 2;
}

export function createTaskService(deps: Deps, publish: Publish) {
  const { sql, store, metrics, config } = deps;
  const cache = createListCache(store, metrics, config.cacheTtlSeconds);

  /**
   * The task, if the caller has at least `minimum` in its project; 404 for non-members. For a write
   * (any role above viewer), 409 while the project is archived.
   */
  const readTask = async (id: string, userId: string, minimum: "viewer" | "editor" | "owner") => {
    const found = await timed(metrics, "tasks.get", () => tasks.getTaskWithRole(sql, id, userId));
    if (!found?.role) throw notFound("task");
    assertRole(found.role, minimum);
    if (minimum !== "viewer") assertNotArchived(found.projectArchivedAt);
    return found.task;
  };

  /** The project's column for a write; a column id of another project (or none) is a 422. */
  const targetColumn = async (
    tx: Queryable,
    projectId: string,
    target: { columnId?: string; status?: tasks.Task["status"] },
  ) => {
    const column = await tasks.findColumn(tx, projectId, target);
    if (column) return column;
    throw new ApiError(422, "validation_failed", "invalid body", [
      {
        path: target.columnId ? "columnId" : "status",
        message: target.columnId ? "is not a column of the project" : "has no column in the project",
        code: "custom",
      },
    ]);
  };

  /** An archived task is read-only until restored (it can still be restored or deleted). */
  const assertTaskActive = (task: tasks.Task) => {
    if (task.archivedAt) {
      throw new ApiError(409, "task_archived", "the task is archived; restore it to change it");
    }
  };

  /**
   * Label names of `names` that the project has no label of yet: tagging a task with a new name creates
   * the label (migration 0007's trigger); call before the write, read them back after it with
   * labelsNamed, and publish label.created for each after the commit.
   */
  const newLabelNames = (tx: Queryable, projectId: string, names: string[] | undefined) =>
    names?.length ? labels.unknownNames(tx, projectId, names) : Promise.resolve([]);
  const createdLabels = async (tx: Queryable, projectId: string, names: string[]) =>
    names.length ? [...(await labels.labelsNamed(tx, projectId, names))] : [];
  const publishLabels = async (projectId: string, actorId: string, created: Label[]) => {
    for (const label of created) await publish({ type: "label.created", projectId, actorId, label });
  };

  const assertAssignable = async (projectId: string, assigneeId: string | null | undefined) => {
    if (!assigneeId) return;
    if (!(await findMembership(sql, projectId, assigneeId))) {
      throw validationFailed([
        { path: "assigneeId", message: "is not a member of the project", code: "custom" },
      ]);
    }
  };

  /** Tells a new assignee (not the actor: assigning oneself is no news) in the write's transaction. */
  const notifyAssignee = async (
    tx: Queryable,
    actorId: string,
    task: tasks.Task,
    previousAssignee: string | null,
  ): Promise<Created[]> =>
    task.assigneeId && task.assigneeId !== previousAssignee
      ? notify(tx, {
          kind: "assigned",
          recipients: [task.assigneeId],
          projectId: task.projectId,
          taskId: task.id,
          actorId,
        })
      : [];

  /**
   * Runs `write` on the task in one transaction, with its project and then the task locked, if the
   * task still exists and is at `expectedVersion` (when given).
   */
  const writeTask = (
    operation: string,
    id: string,
    expectedVersion: number | undefined,
    write: (tx: Queryable, current: tasks.Task) => Promise<WriteOutcome>,
  ): Promise<WriteOutcome> =>
    timed(metrics, operation, () =>
      sql.begin(async (tx): Promise<WriteOutcome> => {
        const current = (await tasks.lockProjectOfTask(tx, id)) ? await tasks.lockTask(tx, id) : undefined;
        if (!current) return { kind: "not_found" };
        if (expectedVersion !== undefined && current.version !== expectedVersion)
          return { kind: "conflict", current };
        return write(tx, current);
      }),
    );

  return {
    /** A page of the project's tasks as JSON, from the cache when the project has not changed since. */
    async list(userId: string, query: ListTasksQuery): Promise<ListBody> {
      const membership = await requireRole(sql, query.projectId, userId, "viewer");
      const cursor = query.cursor === undefined ? undefined : tasks.decodeCursor(query.cursor);
      if (query.cursor !== undefined && !cursor) {
        throw validationFailed([
          { path: "cursor", message: "is not a cursor from this API", code: "custom" },
        ]);
      }
      return cache.read(userId, membership.tasksVersion, query, async () =>
        timed(metrics, "tasks.list", () => tasks.listTasksJson(sql, query, cursor)),
      );
    },

    get: (userId: string, id: string) => readTask(id, userId, "viewer"),

    async create(userId: string, body: CreateTask): Promise<tasks.Task> {
      await requireWritable(sql, body.projectId, userId, "editor");
      await assertAssignable(body.projectId, body.assigneeId);
      const input = { ...body, recurrence: await resolveRecurrence(sql, userId, body.recurrence) };
      const { task, created, notified } = await timed(metrics, "tasks.create", () =>
        sql.begin(async (tx) => {
          await tasks.lockProject(tx, input.projectId);
          const names = await newLabelNames(tx, input.projectId, input.labels);
          const column = await targetColumn(tx, input.projectId, input);
          const task = await tasks.insertTask(tx, input, column);
          await recordActivity(tx, {
            projectId: task.projectId,
            taskId: task.id,
            actorId: userId,
            kind: "task.created",
            data: { title: task.title, status: task.status, column: { id: column.id, name: column.name } },
          });
          return {
            task,
            created: await createdLabels(tx, input.projectId, names),
            notified: await notifyAssignee(tx, userId, task, null),
          };
        }),
      );
      await publishLabels(task.projectId, userId, created);
      await publish({ type: "task.created", projectId: task.projectId, actorId: userId, task });
      await announce(sql, publish, notified);
      return task;
    },

    async update(
      userId: string,
      id: string,
      changes: UpdateTask,
      expectedVersion: ExpectedVersion,
    ): Promise<WriteOutcome> {
      const existing = await readTask(id, userId, "editor");
      await assertAssignable(existing.projectId, changes.assigneeId);
      const recurrence = await resolveRecurrence(sql, userId, changes.recurrence);
      let created: Label[] = [];
      let notified: Created[] = [];
      let next: NextOccurrence | undefined;
      const outcome = await writeTask("tasks.update", id, expectedVersion(), async (tx, current) => {
        assertTaskActive(current);
        // A changed status takes the task to the first column of that kind; otherwise it stays put.
        const column =
          changes.status && changes.status !== current.status
            ? await targetColumn(tx, current.projectId, { status: changes.status })
            : undefined;
        const names = await newLabelNames(tx, current.projectId, changes.labels);
        const task = await tasks.updateTask(tx, current, { ...changes, recurrence }, column);
        if (!task) return { kind: "not_found" };
        const changed = changedFields(current, task);
        if (column && column.id !== current.columnId) {
          const from = await tasks.columnRef(tx, current.projectId, current.columnId);
          changed.column = { from: from?.name ?? null, to: column.name };
        }
        if (Object.keys(changed).length > 0) {
          await recordActivity(tx, {
            projectId: task.projectId,
            taskId: task.id,
            actorId: userId,
            kind: "task.updated",
            data: { changes: changed },
          });
        }
        created = await createdLabels(tx, current.projectId, names);
        notified = await notifyAssignee(tx, userId, task, current.assigneeId);
        next = await createNextOccurrence(tx, userId, current, task);
        return { kind: "ok", task };
      });
      if (outcome.kind === "ok") {
        await publishLabels(outcome.task.projectId, userId, created);
        await publish({
          type: "task.updated",
          projectId: outcome.task.projectId,
          actorId: userId,
          task: outcome.task,
        });
        await publishNextOccurrence(publish, userId, next);
        await announce(sql, publish, notified);
      }
      return outcome;
    },

    /**
     * Moves a task to `index` (0-based) in column `columnId`, or in the first column of `status`'s kind.
     * Positions are sort keys with gaps; the new key is the midpoint of the neighbours, and a column is
     * renumbered when the gap runs out.
     */
    async move(
      userId: string,
      id: string,
      { columnId, status, index }: { columnId?: string; status?: tasks.Task["status"]; index: number },
      expectedVersion: ExpectedVersion,
    ): Promise<WriteOutcome> {
      await readTask(id, userId, "editor");
      let next: NextOccurrence | undefined;
      const outcome = await writeTask("tasks.move", id, expectedVersion(), async (tx, current) => {
        assertTaskActive(current);
        const column = await targetColumn(tx, current.projectId, { columnId, status });
        const neighbours = () => tasks.neighbourPositions(tx, current.projectId, column.id, id, index);
        let { before, after } = await neighbours();
        const renumbered = before !== undefined && after !== undefined && after - before < 1e-6;
        if (renumbered) {
          await tasks.renumberColumn(tx, current.projectId, column.id);
          ({ before, after } = await neighbours());
        }
        const task = await tasks.placeTask(tx, current, column, positionBetween(before, after));
        if (!task) return { kind: "not_found" };
        // from/to: statuses (as before columns); fromColumn/toColumn: the columns, by id and name.
        const fromColumn =
          current.columnId === column.id
            ? { id: column.id, name: column.name }
            : await tasks.columnRef(tx, current.projectId, current.columnId);
        await recordActivity(tx, {
          projectId: task.projectId,
          taskId: task.id,
          actorId: userId,
          kind: "task.moved",
          data: {
            from: current.status,
            to: task.status,
            fromColumn: fromColumn ?? null,
            toColumn: { id: column.id, name: column.name },
            index,
          },
        });
        next = await createNextOccurrence(tx, userId, current, task);
        return { kind: "ok", task, renumbered };
      });
      if (outcome.kind === "ok") {
        const { task } = outcome;
        await publish({ type: "task.moved", projectId: task.projectId, actorId: userId, task });
        await publishNextOccurrence(publish, userId, next);
        // Renumbering gave every card of the column a new position: clients refetch the board.
        if (outcome.renumbered) await publish({ type: "resync", projectId: task.projectId, actorId: userId });
      }
      return outcome;
    },

    /**
     * Archives (true) or restores (false) the task (editor): off the board and the default list, into
     * the project's Archived view, and back to its place. Already in that state: answered unchanged.
     */
    async setArchived(
      userId: string,
      id: string,
      archived: boolean,
      expectedVersion: ExpectedVersion,
    ): Promise<WriteOutcome> {
      await readTask(id, userId, "editor");
      let changed = false;
      const operation = archived ? "tasks.archive" : "tasks.restore";
      const outcome = await writeTask(operation, id, expectedVersion(), async (tx, current) => {
        if ((current.archivedAt !== null) === archived) return { kind: "ok", task: current };
        const task = await tasks.setTaskArchived(tx, id, archived);
        if (!task) return { kind: "not_found" };
        await recordActivity(tx, {
          projectId: task.projectId,
          taskId: task.id,
          actorId: userId,
          kind: archived ? "task.archived" : "task.restored",
          data: { title: task.title },
        });
        changed = true;
        return { kind: "ok", task };
      });
      if (outcome.kind === "ok" && changed) {
        const { task } = outcome;
        const type = archived ? "task.archived" : "task.restored";
        await publish({ type, projectId: task.projectId, actorId: userId, task });
      }
      return outcome;
    },

    /** Deletes the task for good: owners only (editors archive). */
    async remove(userId: string, id: string, expectedVersion: ExpectedVersion): Promise<WriteOutcome> {
      await readTask(id, userId, "owner");
      const outcome = await writeTask("tasks.delete", id, expectedVersion(), async (tx, current) => {
        await recordActivity(tx, {
          projectId: current.projectId,
          taskId: null,
          actorId: userId,
          kind: "task.deleted",
          data: { taskId: id, title: current.title },
        });
        await tasks.deleteTask(tx, id);
        return { kind: "ok", task: current };
      });
      if (outcome.kind === "ok") {
        const { projectId } = outcome.task;
        await publish({ type: "task.deleted", projectId, actorId: userId, task: { id, projectId } });
      }
      return outcome;
    },
  };
}
