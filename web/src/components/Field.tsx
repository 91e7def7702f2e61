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

/** The control's id and aria attributes: the error, hint and count are read with it. */
function controlWiring(parts: FieldParts) {
  const id = () => parts.id ?? `field-${parts.name}`;
  return {
    id,
    invalid: () => (parts.error ? true : undefined),
    describedBy: () =>
      [parts.error ? `${id()}-error` : "", parts.hint ? `${id()}-hint` : "", parts.max ? `${id()}-count` : ""]
        .filter(Boolean)
        .join(" ") || undefined,
  };
}

/** Label, control, count, hint and error, in that order. */
function FieldFrame(props: { parts: FieldParts; id: string; value: unknown; children: JSX.Element }) {
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
  const [parts, rest] = splitProps(props, FIELD_PARTS);
  const wiring = controlWiring(parts);
  return (
    <FieldFrame parts={parts} id={wiring.id()} value={rest.value}>
      <input
        {...rest}
        id={wiring.id()}
        name={parts.name}
        aria-invalid={wiring.invalid()}
        aria-describedby={wiring.describedBy()}
      />
    </FieldFrame>
  );
}

export function TextareaField(props: JSX.TextareaHTMLAttributes<HTMLTextAreaElement> & FieldParts) {
  const [parts, rest] = splitProps(props, FIELD_PARTS);
  const wiring = controlWiring(parts);
  return (
    <FieldFrame parts={parts} id={wiring.id()} value={rest.value}>
      <textarea
        {...rest}
        id={wiring.id()}
        name={parts.name}
        aria-invalid={wiring.invalid()}
        aria-describedby={wiring.describedBy()}
      />
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
  const [parts, choice, rest] = splitProps(props, FIELD_PARTS, ["options", "optionLabel", "value", "none"]);
  const wiring = controlWiring(parts);
  return (
    <FieldFrame parts={parts} id={wiring.id()} value={undefined}>
      <select
        {...rest}
        id={wiring.id()}
        name={parts.name}
        aria-invalid={wiring.invalid()}
        aria-describedby={wiring.describedBy()}
      >
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

export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < 8) return "Use at least 8 characters.";
  if (length > 128) return "Use at most 128 characters.";
  return undefined;
}
