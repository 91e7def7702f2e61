// zod validation through @hono/zod-validator, with failures in the one error shape.
// Bad path parameters (e.g. not a UUID) are a 404: such a resource cannot exist.
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { ApiError, validationFailed } from "./errors.ts";
import type { FieldProblem } from "./messages.ts";

export function issuesToDetails(issues: readonly z.core.$ZodIssue[]): FieldProblem[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
    code: issue.code,
  }));
}

export function validate<Target extends keyof ValidationTargets, Schema extends z.ZodType>(
  target: Target,
  schema: Schema,
) {
  return zValidator(target, schema, (result) => {
    if (result.success) return;
    if (target === "param") throw new ApiError(404, "not_found", "resource not found");
    throw validationFailed(issuesToDetails(result.error.issues));
  });
}
