import { expect, test } from "bun:test";
import { z } from "zod";
import { problemSentence } from "./messages.ts";

const problems = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  if (result.success) throw new Error("expected a failure");
  return result.error.issues.map((issue) => issue.message);
};

test("limits read as sentences, in the unit the field is counted in", () => {
  expect(problems(z.string().max(100), "x".repeat(101))).toEqual(["must be at most 100 characters"]);
  expect(problems(z.string().min(1), "")).toEqual(["is required"]);
  expect(problems(z.string().min(8), "short")).toEqual(["must be at least 8 characters"]);
  expect(problems(z.array(z.string()).max(20), Array(21).fill("a"))).toEqual(["must have at most 20 items"]);
  expect(problems(z.array(z.string()).min(1), [])).toEqual(["must have at least 1 item"]);
  expect(problems(z.number().max(1000), 1001)).toEqual(["must be at most 1,000"]);
  expect(problems(z.object({ title: z.string() }), {})).toEqual(["is required"]);
  expect(problems(z.strictObject({}), { extra: 1 })).toEqual(["has fields this API does not know: extra"]);
  // A message a schema names itself wins.
  expect(problems(z.string().max(2, "is too long for a code"), "abc")).toEqual(["is too long for a code"]);
});

test("the first problem becomes the sentence, field first", () => {
  expect(
    problemSentence([{ path: "title", message: "must be at most 200 characters", code: "too_big" }]),
  ).toBe("Title must be at most 200 characters.");
  expect(
    problemSentence([
      { path: "assigneeId", message: "is not a member of the project", code: "custom" },
      { path: "labels.3", message: "is required", code: "too_small" },
      { path: "dueAt", message: "is required", code: "invalid_type" },
    ]),
  ).toBe("Assignee id is not a member of the project (and 2 more problems).");
  expect(problemSentence([{ path: "", message: "has fields this API does not know: x", code: "x" }])).toBe(
    "The request has fields this API does not know: x.",
  );
  expect(problemSentence([])).toBe("The request is not valid.");
});
