// The SPA shares the API's types and keeps its own copies of a few values the UI needs at runtime.
// These tests fail when either side drifts: an import from the API that would bundle its code (zod
// included) into the SPA, or a value that no longer matches what the API accepts.
import { describe, expect, test } from "bun:test";
import { dirname, join, resolve } from "node:path";
import { nameSchema } from "../../../api/src/auth/schemas.ts";
import { LABEL_COLORS as API_LABEL_COLORS } from "../../../api/src/labels/schemas.ts";
import { createProjectBody } from "../../../api/src/projects/schemas.ts";
import {
  descriptionSchema,
  TASK_PRIORITIES,
  TASK_STATUSES,
  titleSchema,
} from "../../../api/src/tasks/schemas.ts";
import { LABEL_COLORS, LIMITS, PRIORITIES, STATUSES } from "./types";

const webSrc = join(import.meta.dir, "..");
const apiDir = join(webSrc, "..", "..", "api");

test("the SPA imports from the API only with `import type` / `export type` (erased from the bundle)", async () => {
  const offenders: string[] = [];
  for await (const file of new Bun.Glob("**/*.{ts,tsx}").scan(webSrc)) {
    if (/\.test\.tsx?$/.test(file)) continue;
    const source = await Bun.file(join(webSrc, file)).text();
    for (const [statement, specifier = ""] of source.matchAll(
      /^(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"/gm,
    )) {
      const target = resolve(dirname(join(webSrc, file)), specifier);
      if (target.startsWith(apiDir) && !/^(?:import|export) type\b/.test(statement)) {
        offenders.push(`${file}: ${statement.split("\n")[0]}`);
      }
    }
  }
  expect(offenders).toEqual([]);
});

describe("the SPA's runtime values match the API", () => {
  test("statuses and priorities, in the API's order", () => {
    expect(STATUSES).toEqual([...TASK_STATUSES]);
    expect(LABEL_COLORS).toEqual([...API_LABEL_COLORS]);
    expect(PRIORITIES).toEqual([...TASK_PRIORITIES]);
  });

  const fits =
    (schema: { safeParse(value: unknown): { success: boolean } }, at: (n: number) => unknown) =>
    (limit: number) => [schema.safeParse(at(limit)).success, schema.safeParse(at(limit + 1)).success];
  const text = (n: number) => "x".repeat(n);

  test("length limits: the limit is accepted, one more is refused", () => {
    expect(fits(titleSchema, text)(LIMITS.taskTitle)).toEqual([true, false]);
    expect(fits(descriptionSchema, text)(LIMITS.taskDescription)).toEqual([true, false]);
    expect(fits(nameSchema, text)(LIMITS.userName)).toEqual([true, false]);
    expect(fits(createProjectBody, (n) => ({ name: text(n) }))(LIMITS.projectName)).toEqual([true, false]);
    expect(
      fits(createProjectBody, (n) => ({ name: "p", description: text(n) }))(LIMITS.projectDescription),
    ).toEqual([true, false]);
  });
});
