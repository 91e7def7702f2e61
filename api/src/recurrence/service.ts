// Recurring tasks. Completing a repeating task creates its next occurrence as a new task, inside the
// completion's transaction (tasks/service.ts calls createNextOccurrence there), once per task
// (repository.ts's claim), and publishes it like any created task after the commit.
import { recordActivity } from "../activity/repository.ts";
import type { ChecklistItem } from "../checklists/repository.ts";
import type { Queryable } from "../db/client.ts";
import type { Publish } from "../events/publisher.ts";
import { findPreferences } from "../preferences/repository.ts";
import { insertTask, type Task } from "../tasks/repository.ts";
import {
  claimNextOccurrence,
  copyChecklistUnticked,
  firstOpenColumn,
  linkNextOccurrence,
} from "./repository.ts";
import { nextOccurrence, type Recurrence } from "./rule.ts";
import type { RecurrenceInput } from "./schemas.ts";

/** The recurrence to store for a create or PATCH: the caller's zone unless the client named one. */
export async function resolveRecurrence(
  db: Queryable,
  userId: string,
  input: RecurrenceInput | undefined,
): Promise<Recurrence | null | undefined> {
  if (!input) return input;
  const timeZone = input.timeZone ?? (await findPreferences(db, userId)).timeZone;
  return { rule: input.rule, from: input.from, timeZone };
}

export interface NextOccurrence {
  task: Task;
  checklist: ChecklistItem[];
}

/**
 * For `before` → `after`, a write of the locked task in its transaction (its project locked first):
 * when it completed a repeating task whose series goes on, creates the next occurrence — title,
 * description, priority, labels, assignee and recurrence (COUNT one less) copied, the checklist
 * unticked, in the project's first column that is not a done column, due at the rule's next date —
 * unless this task already had one.
 */
export async function createNextOccurrence(
  tx: Queryable,
  actorId: string,
  before: Task,
  after: Task,
): Promise<NextOccurrence | undefined> {
  if (!after.recurrence || !after.completedAt || before.completedAt) return undefined;
  const next = nextOccurrence(after.recurrence, { dueAt: after.dueAt, completedAt: after.completedAt });
  if (!next) return undefined;
  const column = await firstOpenColumn(tx, after.projectId);
  if (!column || !(await claimNextOccurrence(tx, after.id))) return undefined;
  const task = await insertTask(
    tx,
    {
      projectId: after.projectId,
      title: after.title,
      description: after.description,
      priority: after.priority,
      dueAt: next.dueAt.toISOString(),
      labels: after.labels,
      assigneeId: after.assigneeId,
      recurrence: { ...after.recurrence, rule: next.rule },
    },
    column,
  );
  await linkNextOccurrence(tx, after.id, task.id);
  const checklist = await copyChecklistUnticked(tx, after.id, task.id);
  await recordActivity(tx, {
    projectId: task.projectId,
    taskId: task.id,
    actorId,
    kind: "task.created",
    data: {
      title: task.title,
      status: task.status,
      column: { id: column.id, name: column.name },
      recurredFrom: after.id,
    },
  });
  await recordActivity(tx, {
    projectId: after.projectId,
    taskId: after.id,
    actorId,
    kind: "task.recurred",
    data: { nextTaskId: task.id, dueAt: next.dueAt.toISOString() },
  });
  return { task, checklist };
}

/** After the commit: the next occurrence reaches boards like any created task (and its checklist). */
export async function publishNextOccurrence(
  publish: Publish,
  actorId: string,
  next: NextOccurrence | undefined,
) {
  if (!next) return;
  const { task, checklist } = next;
  await publish({ type: "task.created", projectId: task.projectId, actorId, task });
  if (checklist.length > 0) {
    await publish({
      type: "checklist.changed",
      projectId: task.projectId,
      actorId,
      taskId: task.id,
      items: checklist,
    });
  }
}
