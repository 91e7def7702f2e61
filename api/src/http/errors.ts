// The one error shape: {"error":{"code","message","details"}}. Routes throw ApiError; onError formats
// everything, maps infrastructure failures to 503 and anything unexpected to a logged 500.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { isDatabaseUnavailable } from "../db/client.ts";
import { errorFields, type Logger } from "../log.ts";
import { StoreUnavailableError } from "../store/store.ts";
import { type FieldProblem, problemSentence } from "./messages.ts";

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(status, { message });
  }
}

export const notFound = (what = "resource") => new ApiError(404, "not_found", `${what} not found`);

/** 422 naming every field in `details`, with the first problem as the message a person reads. */
export const validationFailed = (problems: FieldProblem[]) =>
  new ApiError(422, "validation_failed", problemSentence(problems), problems);

const CODE_BY_STATUS: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "validation_failed",
  429: "rate_limited",
  503: "service_unavailable",
};

/** PostgreSQL errors that can only come from a value the client sent. */
const CLIENT_DATA_ERRORS: Record<string, [ContentfulStatusCode, string, string]> = {
  "23505": [409, "conflict", "a record with these values already exists"],
  "23503": [422, "invalid_reference", "a referenced record does not exist"],
  "23514": [422, "validation_failed", "a value is out of range"],
  "22P02": [422, "validation_failed", "a value has the wrong format"],
  "22007": [422, "validation_failed", "a date has the wrong format"],
  "22008": [422, "validation_failed", "a date is out of range"],
  "22003": [422, "validation_failed", "a number is out of range"],
  "22001": [422, "validation_failed", "a value is too long"],
  "54000": [422, "validation_failed", "a value is too large"],
};

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: { code, message, ...(details === undefined ? {} : { details }) } };
}

export function toErrorResponse(error: unknown, c: Context, log: Logger): Response {
  if (error instanceof ApiError) {
    if (error.headers) for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
    return c.json(errorBody(error.code, error.message, error.details), error.status);
  }
  if (error instanceof HTTPException) {
    const status = error.status as ContentfulStatusCode;
    return c.json(errorBody(CODE_BY_STATUS[status] ?? "error", error.message || "request refused"), status);
  }
  if (error instanceof StoreUnavailableError) {
    log.warn("store unavailable", {
      requestId: c.get("requestId"),
      reason: (error.cause as Error | undefined)?.message,
    });
    c.header("Retry-After", "5");
    return c.json(
      errorBody("store_unavailable", "sessions are temporarily unavailable; try again shortly"),
      503,
    );
  }
  if (isDatabaseUnavailable(error)) {
    log.warn("database unavailable", { requestId: c.get("requestId"), reason: (error as Error).message });
    c.header("Retry-After", "5");
    return c.json(
      errorBody("database_unavailable", "the database is temporarily unavailable; try again shortly"),
      503,
    );
  }
  const pgCode = (error as { code?: unknown } | null)?.code;
  const mapped = typeof pgCode === "string" ? CLIENT_DATA_ERRORS[pgCode] : undefined;
  if (mapped) return c.json(errorBody(mapped[1], mapped[2]), mapped[0]);
  log.error("unhandled error", {
    requestId: c.get("requestId"),
    route: c.req.routePath,
    ...errorFields(error),
  });
  return c.json(errorBody("internal_error", "something went wrong on our side"), 500);
}
