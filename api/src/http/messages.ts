// zod's default messages are written for developers ("Too big: expected string to have <=100
// characters"). Every schema of the API gets these instead, unless it names its own message; the
// error body puts the field first ("title must be at most 200 characters").
import { z } from "zod";

const plural = (count: number | bigint, one: string, many: string) =>
  `${count.toLocaleString("en-US")} ${count === 1 || count === 1n ? one : many}`;

const UNITS: Record<string, readonly [one: string, many: string] | undefined> = {
  string: ["character", "characters"],
  array: ["item", "items"],
  set: ["item", "items"],
};

export const readableMessage: z.core.$ZodErrorMap = (issue) => {
  const origin = "origin" in issue && typeof issue.origin === "string" ? issue.origin : "";
  const unit = UNITS[origin];
  const verb = origin === "string" ? "be" : "have";
  if (issue.code === "too_big") {
    if (!unit) return `must be at most ${issue.maximum.toLocaleString("en-US")}`;
    return `must ${verb} at most ${plural(issue.maximum, unit[0], unit[1])}`;
  }
  if (issue.code === "too_small") {
    if (origin === "string" && issue.minimum === 1) return "is required";
    if (!unit) return `must be at least ${issue.minimum.toLocaleString("en-US")}`;
    return `must ${verb} at least ${plural(issue.minimum, unit[0], unit[1])}`;
  }
  if (issue.code === "unrecognized_keys")
    return `has fields this API does not know: ${issue.keys.join(", ")}`;
  if (issue.code === "invalid_type" && issue.input === undefined) return "is required";
  return undefined;
};

z.config({ customError: readableMessage });

export interface FieldProblem {
  path: string;
  message: string;
  code: string;
}

/** "assigneeId" → "assignee id", "tasks.3.title" → "tasks 3 title": field paths as words. */
const fieldWords = (path: string) =>
  path
    .split(".")
    .map((part) => part.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase())
    .join(" ");

/** The first problem as a sentence: "Title must be at most 200 characters." */
export function problemSentence(problems: readonly FieldProblem[]): string {
  const first = problems[0];
  if (!first) return "The request is not valid.";
  const text = first.path ? `${fieldWords(first.path)} ${first.message}` : `The request ${first.message}`;
  const more =
    problems.length > 1 ? ` (and ${plural(problems.length - 1, "more problem", "more problems")})` : "";
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${more}.`;
}
