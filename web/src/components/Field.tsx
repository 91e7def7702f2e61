// Labelled form fields (input, textarea, select) with hint, character count and error wired up for
// screen readers, and the checks forms share.
import { For, type JSX, Show, splitProps } from "solid-js";

/** Characters as the API counts them: code points, so an emoji is one. */
export const charCount = (value: string) => [...value].length;

/** The message for text longer than `max` characters, or undefined. */
export function tooLong(value: string, max: number): string | undefined {
  return charCount(value) > max ? `Use at most ${max.toLocaleString()} characters.` : undefined;
}

/**
 * "85 of 100 characters", from 80 % of the limit. Fields have no maxlength (it cuts a paste off
 * without a word); the count shows what a save will refuse. Empty and hidden below 80 %, so an
 * aria-describedby can always point at it.
 */
export function CharCount(props: { id: string; value: string; max: number }) {
  const count = () => charCount(props.value);
  return (
    <p id={props.id} class="hint char-count" classList={{ over: count() > props.max }}>
      {count() >= props.max * 0.8
        ? `${count().toLocaleString()} of ${props.max.toLocaleString()} characters`
        : ""}
    </p>
  );
}

/** What ties a control to its label, hint, character count and error. */
interface FieldParts {
  label: string;
  /** Without `id`, the control's id is `field-<name>`. */
  name?: string;
  id?: string;
  error?: string;
  hint?: string;
  /** Shows a character count of `value` against this limit: keep `value` current (onInput). */
  max?: number;
}
const FIELD_PARTS = ["label", "name", "error", "hint", "id", "max"] as const;

/** Splits a field's own props from its control's, and gives the control its id and aria wiring. */
function splitField<P extends FieldParts>(props: P) {
  // splitProps cannot narrow a generic P: name the halves.
  const [parts, rest] = splitProps(props, FIELD_PARTS) as unknown as [FieldParts, Omit<P, keyof FieldParts>];
  const id = () => parts.id ?? `field-${parts.name}`;
  const control = {
    get id() {
      return id();
    },
    get name() {
      return parts.name;
    },
    get "aria-invalid"() {
      return parts.error ? true : undefined;
    },
    /** The error, hint and count are read with the control. */
    get "aria-describedby"() {
      return (
        [
          parts.error ? `${id()}-error` : "",
          parts.hint ? `${id()}-hint` : "",
          parts.max ? `${id()}-count` : "",
        ]
          .filter(Boolean)
          .join(" ") || undefined
      );
    },
  };
  return { parts, rest, control };
}

/** Label, control, count of `value`, hint and error, in that order. */
function FieldFrame(props: { parts: FieldParts; id: string; value?: unknown; children: JSX.Element }) {
  return (
    <div class="field">
      <label for={props.id}>{props.parts.label}</label>
      {props.children}
      <Show when={props.parts.max}>
        {(max) => <CharCount id={`${props.id}-count`} value={String(props.value ?? "")} max={max()} />}
      </Show>
      <Show when={props.parts.hint}>
        <p id={`${props.id}-hint`} class="hint">
          {props.parts.hint}
        </p>
      </Show>
      <Show when={props.parts.error}>
        <p id={`${props.id}-error`} class="field-error">
          {props.parts.error}
        </p>
      </Show>
    </div>
  );
}

export function Field(props: JSX.InputHTMLAttributes<HTMLInputElement> & FieldParts) {
  const { parts, rest, control } = splitField(props);
  return (
    <FieldFrame parts={parts} id={control.id} value={rest.value}>
      <input {...rest} {...control} />
    </FieldFrame>
  );
}

export function TextareaField(props: JSX.TextareaHTMLAttributes<HTMLTextAreaElement> & FieldParts) {
  const { parts, rest, control } = splitField(props);
  return (
    <FieldFrame parts={parts} id={control.id} value={rest.value}>
      <textarea {...rest} {...control} />
    </FieldFrame>
  );
}

/**
 * A select of `options` with `value` selected; `none` adds a first, empty option ("Any",
 * "Unassigned"). `optionLabel` names an option (the value itself by default).
 */
export function SelectField<T extends string>(
  props: Omit<JSX.SelectHTMLAttributes<HTMLSelectElement>, "value"> &
    FieldParts & {
      options: readonly T[];
      optionLabel?: (option: T) => string;
      value?: string | null;
      none?: string;
    },
) {
  const { parts, rest, control } = splitField(props);
  const [choice, select] = splitProps(rest, ["options", "optionLabel", "value", "none"]);
  return (
    <FieldFrame parts={parts} id={control.id}>
      <select {...select} {...control}>
        <Show when={choice.none !== undefined}>
          <option value="">{choice.none}</option>
        </Show>
        <For each={choice.options}>
          {(option) => (
            <option value={option} selected={choice.value === option}>
              {choice.optionLabel ? choice.optionLabel(option) : option}
            </option>
          )}
        </For>
      </select>
    </FieldFrame>
  );
}

/** A message about the whole form (wrong password, too many attempts), announced when it appears. */
export function FormError(props: { message: string }) {
  return (
    <Show when={props.message}>
      <p class="form-error" role="alert">
        {props.message}
      </p>
    </Show>
  );
}

export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < 8) return "Use at least 8 characters.";
  if (length > 128) return "Use at most 128 characters.";
  return undefined;
}

/**
 * A button that picks one JSON file. The input is emptied after each pick, so choosing the same file
 * again (after fixing it) is a change too.
 */
export function JsonFileButton(props: {
  label: string;
  disabled: boolean;
  onFile: (file: File | undefined) => void;
  /** Also offer export archives (.tar). */
  archives?: boolean;
}) {
  return (
    <label class="btn file-btn" classList={{ disabled: props.disabled }}>
      {props.label}
      <input
        type="file"
        accept={props.archives ? "application/json,.json,application/x-tar,.tar" : "application/json,.json"}
        class="visually-hidden"
        disabled={props.disabled}
        onChange={(e) => {
          props.onFile(e.currentTarget.files?.[0]);
          e.currentTarget.value = "";
        }}
      />
    </label>
  );
}
