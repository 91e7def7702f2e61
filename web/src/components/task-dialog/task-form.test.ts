import { describe, expect, test } from "bun:test";
import { baseTask } from "../../../test/fixtures";
import {
  changedFields,
  fromDateInput,
  initialColumn,
  parseLabels,
  type TaskFormValues,
  taskFormProblems,
  toDateInput,
} from "./task-form";

const task = { ...baseTask, assigneeId: null };
// The form showing `task` unchanged.
const { title, description, columnId, priority, dueAt, labels, assigneeId } = task;
const values: TaskFormValues = { title, description, columnId, priority, dueAt, labels, assigneeId };

describe("task form", () => {
  test("dates: the day in the input, noon UTC on the wire", () => {
    expect(toDateInput(task.dueAt)).toBe("2030-05-17");
    expect(toDateInput(null)).toBe("");
    expect(fromDateInput("2030-05-17")).toBe("2030-05-17T12:00:00.000Z");
    expect(fromDateInput("")).toBeNull();
  });

  test("labels: comma-separated, trimmed, no blanks or repeats", () => {
    expect(parseLabels(" web, launch,,web ,")).toEqual(["web", "launch"]);
  });

  test("problems: a title is required, both texts have limits", () => {
    expect(taskFormProblems(values)).toEqual({});
    expect(taskFormProblems({ ...values, title: "" })).toEqual({ title: "Enter a title." });
    expect(taskFormProblems({ ...values, title: "x".repeat(201), description: "y".repeat(10_001) })).toEqual({
      title: "Use at most 200 characters.",
      description: "Use at most 10,000 characters.",
    });
  });

  test("repeat: sent only when its rule or anchor changed (the zone is the server's), null to stop", () => {
    const weekly = {
      ...task,
      recurrence: { rule: "FREQ=WEEKLY", from: "due" as const, timeZone: "Europe/Paris" },
    };
    expect(changedFields(weekly, { ...values, recurrence: { rule: "FREQ=WEEKLY", from: "due" } })).toEqual({
      patch: {},
    });
    expect(changedFields(weekly, values)).toEqual({ patch: {} });
    expect(
      changedFields(weekly, { ...values, recurrence: { rule: "FREQ=WEEKLY", from: "completion" } }),
    ).toEqual({
      patch: { recurrence: { rule: "FREQ=WEEKLY", from: "completion" } },
    });
    expect(changedFields(weekly, { ...values, recurrence: null })).toEqual({ patch: { recurrence: null } });
    expect(changedFields(task, { ...values, recurrence: { rule: "FREQ=DAILY", from: "due" } }).patch).toEqual(
      {
        recurrence: { rule: "FREQ=DAILY", from: "due" },
      },
    );
  });

  test("the patch holds only what changed; another column is a move, not a patch", () => {
    expect(changedFields(task, values)).toEqual({ patch: {} });
    expect(changedFields(task, { ...values, priority: "low", labels: ["release", "web"] })).toEqual({
      patch: { priority: "low", labels: ["release", "web"] },
    });
    expect(changedFields(task, { ...values, dueAt: null, description: "Notes" })).toEqual({
      patch: { dueAt: null, description: "Notes" },
    });
    expect(changedFields(task, { ...values, columnId: "c2", title: "Ship" })).toEqual({
      patch: { title: "Ship" },
      columnId: "c2",
    });
    // No column chosen (the board's columns not loaded): no move.
    expect(changedFields(task, { ...values, columnId: "" })).toEqual({ patch: {} });
  });

  test("a new task starts in the column it was added to, else the first of its status, else the first", () => {
    const column = (id: string, kind: "todo" | "in_progress" | "done") => ({
      id,
      projectId: "p1",
      name: id,
      kind,
      done: kind === "done",
      wipLimit: null,
      position: 0,
    });
    const columns = [column("review", "in_progress"), column("todo", "todo"), column("doing", "in_progress")];
    expect(initialColumn(columns, { columnId: "doing", status: "in_progress" })).toBe("doing");
    expect(initialColumn(columns, { status: "in_progress" })).toBe("review");
    expect(initialColumn(columns, {})).toBe("todo");
    expect(initialColumn(columns, { status: "done" })).toBe("review");
    expect(initialColumn(columns, { columnId: "gone" })).toBe("todo");
    expect(initialColumn([], {})).toBeUndefined();
  });
});
