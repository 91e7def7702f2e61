import { describe, expect, test } from "bun:test";
import type { ImportResult } from "../api/types";
import { copySummary, describeSession, formatWhen, importDone, restoreSummary } from "./Account";

const project = (
  action: "created" | "restored",
  tasks: Partial<ImportResult["projects"][number]["tasks"]>,
  people = { skippedMembers: 0, unassignedTasks: 0 },
): ImportResult["projects"][number] => ({
  id: null,
  name: "P",
  action,
  tasks: { created: 0, updated: 0, deleted: 0, ...tasks },
  ...people,
});
const result = (mode: ImportResult["mode"], projects: ImportResult["projects"]): ImportResult => ({
  mode,
  dryRun: true,
  projects,
  tasks: projects.reduce((n, p) => n + p.tasks.created + p.tasks.updated, 0),
  skippedMembers: projects.reduce((n, p) => n + p.skippedMembers, 0),
  unassignedTasks: projects.reduce((n, p) => n + p.unassignedTasks, 0),
  preferences: false,
});

describe("import confirmation texts", () => {
  test("a copy names what it creates and who is left out", () => {
    const copy = result("copy", [
      project("created", { created: 40 }, { skippedMembers: 3, unassignedTasks: 7 }),
      project("created", { created: 1 }),
      project("created", { created: 1 }),
    ]);
    expect(copySummary(copy)).toBe(
      "This will create 3 new projects with 42 tasks, with you as the only member. Other people are never added by an import: 3 memberships in the file will be left out. 7 tasks will be left unassigned because the assignee is not a member.",
    );
    expect(copySummary(result("copy", [project("created", { created: 1 })]))).toBe(
      "This will create 1 new project with 1 task, with you as the only member.",
    );
  });

  test("a restore says what goes back, what is deleted and what is created again", () => {
    const restore = result("restore", [
      project("restored", { updated: 40, created: 2, deleted: 5 }),
      project("created", { created: 3 }, { skippedMembers: 1, unassignedTasks: 0 }),
    ]);
    expect(restoreSummary(restore)).toBe(
      "This will set 1 project with 42 tasks back to the state in the file (2 deleted tasks put back, 5 tasks added since then deleted). Members stay as they are. It will create 1 deleted project again with 3 tasks, with you as the only member. Other people are never added by an import: 1 membership in the file will be left out.",
    );
  });

  test("a restore of an unchanged project names no changes", () => {
    expect(restoreSummary(result("restore", [project("restored", { updated: 2 })]))).toBe(
      "This will set 1 project with 2 tasks back to the state in the file. Members stay as they are.",
    );
  });

  test("the message after the import", () => {
    const done = {
      ...result("restore", [
        project("restored", { updated: 2 }, { skippedMembers: 1, unassignedTasks: 1 }),
        project("created", { created: 1 }),
      ]),
      dryRun: false,
    };
    expect(importDone(done)).toBe(
      "Import finished: restored 1 project and created 1 project with 3 tasks. 1 membership of other people was left out. 1 task was left unassigned.",
    );
    expect(importDone({ ...done, preferences: true })).toEndWith(
      " Your preferences in the file (mail, time zone) were applied.",
    );
  });
});

test("describeSession names browser and system, and says when it does not know", () => {
  expect(describeSession({ browser: "Firefox 128", os: "Linux" })).toBe("Firefox 128 on Linux");
  expect(describeSession({ browser: "curl 8", os: null })).toBe("curl 8");
  expect(describeSession({ browser: null, os: null })).toBe("Unknown browser");
});

test("formatWhen tells sessions used the same day apart", () => {
  const now = Date.parse("2030-05-01T12:00:00Z");
  expect(formatWhen("2030-05-01T11:59:40Z", now)).toBe("just now");
  expect(formatWhen("2030-05-01T11:48:00Z", now)).toContain("12");
  expect(formatWhen("2030-05-01T09:00:00Z", now)).toContain("3");
  expect(formatWhen("2030-05-01T11:48:00Z", now)).not.toBe(formatWhen("2030-05-01T09:00:00Z", now));
  // Older: a date with the time.
  expect(formatWhen("2030-04-20T08:30:00Z", now)).toMatch(/\d{1,2}:\d{2}/);
});
