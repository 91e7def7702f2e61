import type { JSX } from "solid-js";
import { Field } from "../components/Field";
import { LogoIcon } from "../components/Icons";

export function AuthLayout(props: { title: string; children: JSX.Element }) {
  return (
    <main id="main" class="auth-page">
      <div class="auth-card">
        <p class="brand brand-static">
          <LogoIcon />
          <span>TaskPlatform</span>
        </p>
        <h1>{props.title}</h1>
        {props.children}
      </div>
    </main>
  );
}

/** The account's email, as sign-in and sign-up both ask for it. */
export function EmailField(props: { error?: string; value?: string; readOnly?: boolean; hint?: string }) {
  return (
    <Field
      label="Email"
      name="email"
      type="email"
      autocomplete="email"
      required
      error={props.error}
      value={props.value ?? ""}
      readOnly={props.readOnly}
      hint={props.hint}
    />
  );
}

/** Only same-app paths are accepted as a redirect target after sign-in. */
export function safeNext(next: unknown): string {
  const value = Array.isArray(next) ? next[0] : next;
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") ? value : "/";
}
