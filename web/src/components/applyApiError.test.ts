import { beforeEach, describe, expect, test } from "bun:test";
import { ApiError, type FieldErrors } from "../api/http";
import { dismissToast, toasts } from "../stores/toast";
import { applyApiError } from "./applyApiError";

const validation = new ApiError(422, "validation_failed", "invalid body", [
  { path: "title", message: "Too long" },
]);

function form() {
  const seen: { errors?: FieldErrors; formError?: string } = {};
  return {
    seen,
    setErrors: (errors: FieldErrors) => {
      seen.errors = errors;
    },
    setFormError: (message: string) => {
      seen.formError = message;
    },
  };
}

beforeEach(() => {
  for (const toast of toasts()) dismissToast(toast.id);
});

describe("applyApiError", () => {
  test("a status the form knows wins over the server's field messages", () => {
    const f = form();
    applyApiError(validation, { ...f, fallback: "x", byStatus: { 422: { email: "Known." } } });
    expect(f.seen).toEqual({ errors: { email: "Known." } });
  });

  test("a sentence goes to the form, or to an error toast when the form has no place for it", () => {
    const tooMany = new ApiError(429, "too_many_attempts", "slow down");
    const f = form();
    applyApiError(tooMany, { ...f, fallback: "x", byStatus: { 429: "Wait a moment." } });
    expect(f.seen).toEqual({ formError: "Wait a moment." });
    applyApiError(tooMany, { setErrors: () => {}, fallback: "x", byStatus: { 429: "Wait a moment." } });
    expect(toasts().map((t) => [t.kind, t.message])).toEqual([["error", "Wait a moment."]]);
  });

  test("a function decides from the error, or handles it itself", () => {
    const f = form();
    const taken = new ApiError(409, "email_taken", "taken");
    applyApiError(taken, { ...f, fallback: "x", byStatus: { 409: (e) => ({ email: e.message }) } });
    expect(f.seen).toEqual({ errors: { email: "taken" } });
    let handled = false;
    applyApiError(new ApiError(404, "not_found", "gone"), {
      ...form(),
      fallback: "x",
      byStatus: {
        404: () => {
          handled = true;
          return undefined;
        },
      },
    });
    expect(handled).toBe(true);
    expect(toasts()).toEqual([]);
  });

  test("otherwise the server's field messages, then its sentence, then the fallback", () => {
    const f = form();
    applyApiError(validation, { ...f, fallback: "x" });
    expect(f.seen).toEqual({ errors: { title: "Too long." } });
    const g = form();
    applyApiError(new ApiError(500, "internal_error", "Server trouble"), { ...g, fallback: "x" });
    expect(g.seen).toEqual({ formError: "Server trouble" });
    const h = form();
    applyApiError("not an error", { ...h, fallback: "Could not save." });
    expect(h.seen).toEqual({ formError: "Could not save." });
  });
});
