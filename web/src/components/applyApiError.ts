// One place that turns a refused request into what a form shows: the status codes a form knows
// about, then the server's field messages, then its sentence (or the form's fallback).
import { ApiError, type FieldErrors } from "../api/http";
import { showToast } from "../stores/toast";

/**
 * What a status means to a form: messages for fields, one sentence, or a function deciding either
 * (returning nothing when it handled the error itself).
 */
export type StatusAnswer = FieldErrors | string | ((error: ApiError) => FieldErrors | string | undefined);

export interface ApiErrorTarget {
  setErrors(fields: FieldErrors): void;
  /** Where sentences go; without it they are error toasts. */
  setFormError?(message: string): void;
  byStatus?: Partial<Record<number, StatusAnswer>>;
  /** Said when the error carries no message of its own. */
  fallback: string;
}

export function applyApiError(error: unknown, target: ApiErrorTarget): void {
  const say = (message: string) =>
    target.setFormError ? target.setFormError(message) : showToast(message, { kind: "error" });
  if (error instanceof ApiError) {
    const rule = target.byStatus?.[error.status];
    if (rule !== undefined) {
      const answer = typeof rule === "function" ? rule(error) : rule;
      if (typeof answer === "string") say(answer);
      else if (answer) target.setErrors(answer);
      return;
    }
    const fields = error.fields;
    if (Object.keys(fields).length) {
      target.setErrors(fields);
      return;
    }
  }
  say(error instanceof Error && error.message ? error.message : target.fallback);
}
