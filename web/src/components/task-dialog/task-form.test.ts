import { describe, expect, test } from "bun:test";
import { baseTask } from "../../../test/fixtures";
import {
  changedFields,
  fromDateInput,
  parseLabels,
  type TaskFormValues,
  taskFormProblems,
  toDateInput,
} from "./task-form";

const task = { ...baseTask, assigneeId: null };
// The form showing `task` unchanged.
const { title, description, status, priority, dueAt, labels, assigneeId } = task;
const values: TaskFormValues = { title, description, status, priority, dueAt, labels, assigneeId };

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

  test("the patch holds only what changed", () => {
    expect(changedFields(task, values)).toEqual({});
    expect(changedFields(task, { ...values, priority: "low", labels: ["release", "web"] })).toEqual({
      priority: "low",
      labels: ["release", "web"],
    });
    expect(changedFields(task, { ...values, dueAt: null, description: "Notes" })).toEqual({
      dueAt: null,
      description: "Notes",
    });
  });
});
