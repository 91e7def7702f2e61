import { A, Navigate, useSearchParams } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { applyApiError } from "../components/applyApiError";
import { EMAIL_RE, Field, FormError } from "../components/Field";
import { useSession } from "../stores/session";
import { AuthLayout, EmailField, safeNext } from "./AuthLayout";

export default function SignIn() {
  const session = useSession();
  const [params] = useSearchParams();
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal("");
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    const next: Record<string, string> = {};
    if (!EMAIL_RE.test(email)) next.email = "Enter a valid email address.";
    if (!password) next.password = "Enter your password.";
    setErrors(next);
    setFormError("");
    if (Object.keys(next).length) return;
    setBusy(true);
    try {
      await session.signIn(email, password);
    } catch (err) {
      applyApiError(err, {
        setErrors,
        setFormError,
        fallback: "Could not sign in.",
        byStatus: {
          401: "Wrong email or password.",
          429: "Too many attempts. Wait a moment and try again.",
        },
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Show when={session.status() !== "authenticated"} fallback={<Navigate href={safeNext(params.next)} />}>
      <AuthLayout title="Sign in">
        <form class="stack" onSubmit={submit} noValidate>
          <FormError message={formError()} />
          <EmailField error={errors().email} />
          <Field
            label="Password"
            name="password"
            type="password"
            autocomplete="current-password"
            required
            error={errors().password}
          />
          <button type="submit" class="btn btn-primary" disabled={busy()}>
            {busy() ? "Signing in…" : "Sign in"}
          </button>
        </form>
        <p class="muted">
          <A href="/forgot-password">Forgot your password?</A>
        </p>
        <p class="muted">
          New here?{" "}
          <A href={`/signup${params.next ? `?next=${encodeURIComponent(safeNext(params.next))}` : ""}`}>
            Create an account
          </A>
        </p>
      </AuthLayout>
    </Show>
  );
}
