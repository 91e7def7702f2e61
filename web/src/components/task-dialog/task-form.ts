// The task form's data: what the fields hold, read from the form, checked before sending, and
// turned into the smallest change for an existing task (a new column is a move, the rest a patch).
import type { FieldErrors } from "../../api/http";
import { type Column, LIMITS, type Priority, type Status, type Task, type TaskInput } from "../../api/types";
import { tooLong } from "../Field";

export interface TaskFormValues {
  title: string;
  description: string;
  /** The project's column the task is in (its kind is the status); "" when the board has none loaded. */
  columnId: string;
  priority: Priority;
  dueAt: string | null;
  labels: string[];
  assigneeId: string | null;
  /** From the Repeat control's hidden fields; undefined while it is still loading (left unchanged). */
  recurrence?: { rule: string; from: "due" | "completion" } | null;
}

export function toDateInput(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : "";
}
/** Noon UTC, so the day is the same in every time zone. */
export function fromDateInput(value: string): string | null {
  return value ? new Date(`${value}T12:00:00.000Z`).toISOString() : null;
}
export function parseLabels(value: string): string[] {
  return [
    ...new Set(
      value
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
}

export function readTaskForm(form: HTMLFormElement): TaskFormValues {
  const data = new FormData(form);
  const assignee = String(data.get("assigneeId") ?? "");
  const rule = data.get("recurrenceRule");
  const from = data.get("recurrenceFrom") === "completion" ? "completion" : "due";
  return {
    title: String(data.get("title") ?? "").trim(),
    description: String(data.get("description") ?? ""),
    columnId: String(data.get("columnId") ?? ""),
    priority: String(data.get("priority") ?? "medium") as Priority,
    dueAt: fromDateInput(String(data.get("dueAt") ?? "")),
    labels: parseLabels(String(data.get("labels") ?? "")),
    assigneeId: assignee || null,
    ...(rule === null ? {} : { recurrence: rule ? { rule: String(rule), from } : null }),
  };
}

/** Messages for the fields the server would refuse; empty when the values can be sent. */
export function taskFormProblems(values: TaskFormValues): FieldErrors {
  const problems: FieldErrors = {};
  const title = values.title ? tooLong(values.title, LIMITS.taskTitle) : "Enter a title.";
  const description = tooLong(values.description, LIMITS.taskDescription);
  if (title) problems.title = title;
  if (description) problems.description = description;
  return problems;
}

/** What differs from `task`: `patch` for PATCH /api/tasks/:id, `columnId` when the column changed. */
export function changedFields(
  task: Pick<Task, Exclude<keyof TaskFormValues, "recurrence">> & { recurrence?: Task["recurrence"] },
  values: TaskFormValues,
): { patch: TaskInput; columnId?: string } {
  const patch: Record<string, unknown> = {};
  const { columnId, ...fields } = values;
  const { recurrence, ...others } = fields;
  for (const [key, value] of Object.entries(others)) {
    const before = (task as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(before ?? null) !== JSON.stringify(value ?? null)) patch[key] = value;
  }
  // The task's zone is the server's: only the rule and its anchor are the form's.
  const before = task.recurrence ? { rule: task.recurrence.rule, from: task.recurrence.from } : null;
  if (recurrence !== undefined && JSON.stringify(before) !== JSON.stringify(recurrence))
    patch.recurrence = recurrence;
  return { patch: patch as TaskInput, ...(columnId && columnId !== task.columnId ? { columnId } : {}) };
}

/** The column a new task's dialog starts in: the one it was opened from, else the first of `status`. */
export function initialColumn(
  columns: readonly Column[],
  target: { columnId?: string; status?: Status },
): string | undefined {
  return (
    columns.find((c) => c.id === target.columnId)?.id ??
    columns.find((c) => c.kind === (target.status ?? "todo"))?.id ??
    columns[0]?.id
  );
}
