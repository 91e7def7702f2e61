// A labelled input with its error message wired up for screen readers.
import { type JSX, Show, splitProps } from "solid-js";

type InputProps = JSX.InputHTMLAttributes<HTMLInputElement>;

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

/** With `max`, keep `value` current (onInput) so the count follows the typing. */
export function Field(
  props: InputProps & { label: string; name: string; error?: string; hint?: string; max?: number },
) {
  const [own, rest] = splitProps(props, ["label", "name", "error", "hint", "id", "max"]);
  const id = () => own.id ?? `field-${own.name}`;
  const described = () =>
    [own.error ? `${id()}-error` : "", own.hint ? `${id()}-hint` : "", own.max ? `${id()}-count` : ""]
      .filter(Boolean)
      .join(" ") || undefined;
  return (
    <div class="field">
      <label for={id()}>{own.label}</label>
      <input
        {...rest}
        id={id()}
        name={own.name}
        aria-invalid={own.error ? true : undefined}
        aria-describedby={described()}
      />
      <Show when={own.max}>
        {(max) => <CharCount id={`${id()}-count`} value={String(rest.value ?? "")} max={max()} />}
      </Show>
      <Show when={own.hint}>
        <p id={`${id()}-hint`} class="hint">
          {own.hint}
        </p>
      </Show>
      <Show when={own.error}>
        <p id={`${id()}-error`} class="field-error">
          {own.error}
        </p>
      </Show>
    </div>
  );
}

export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < 8) return "Use at least 8 characters.";
  if (length > 128) return "Use at most 128 characters.";
  return undefined;
}
