// A labelled input with its error message wired up for screen readers.
import { type JSX, Show, splitProps } from "solid-js";

type InputProps = JSX.InputHTMLAttributes<HTMLInputElement>;

export function Field(props: InputProps & { label: string; name: string; error?: string; hint?: string }) {
  const [own, rest] = splitProps(props, ["label", "name", "error", "hint", "id"]);
  const id = () => own.id ?? `field-${own.name}`;
  const described = () =>
    [own.error ? `${id()}-error` : "", own.hint ? `${id()}-hint` : ""].filter(Boolean).join(" ") || undefined;
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
