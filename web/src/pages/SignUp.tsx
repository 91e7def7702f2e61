import { A, Navigate } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { LIMITS } from "../api/types";
import { applyApiError } from "../components/applyApiError";
import { EMAIL_RE, Field, FormError, passwordProblem, tooLong } from "../components/Field";
import { useSession } from "../stores/session";
import { AuthLayout, EmailField } from "./AuthLayout";

export default function SignUp() {
  const session = useSession();
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [typedName, setTypedName] = createSignal("");

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const name = String(form.get("name") ?? "").trim();
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    const next: Record<string, string> = {};
    if (!name) next.name = "Enter your name.";
    const long = tooLong(name, LIMITS.userName);
    if (long) next.name = long;
    if (!EMAIL_RE.test(email)) next.email = "Enter a valid email address.";
    const problem = passwordProblem(password);
    if (problem) next.password = problem;
    setErrors(next);
    setFormError("");
    if (Object.keys(next).length) return;
    setBusy(true);
    try {
      await session.signUp(name, email, password);
    } catch (err) {
      applyApiError(err, {
        setErrors,
        setFormError,
        fallback: "Could not create the account.",
        byStatus: {
          409: (error) => ({
            ...error.fields,
            email: error.fields.email ?? "An account with this email already exists.",
          }),
        },
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Show when={session.status() !== "authenticated"} fallback={<Navigate href="/" />}>
      <AuthLayout title="Create your account">
        <form class="stack" onSubmit={submit} noValidate>
          <FormError message={formError()} />
          <Field
            label="Name"
            name="name"
            autocomplete="name"
            required
            value={typedName()}
            onInput={(e) => setTypedName(e.currentTarget.value)}
            max={LIMITS.userName}
            error={errors().name}
          />
          <EmailField error={errors().email} />
          <Field
            label="Password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            hint="8 to 128 characters. A passphrase is easiest."
            error={errors().password}
          />
          <button type="submit" class="btn btn-primary" disabled={busy()}>
            {busy() ? "Creating account…" : "Create account"}
          </button>
        </form>
        <p class="muted">
          Already have an account? <A href="/signin">Sign in</A>
        </p>
      </AuthLayout>
    </Show>
  );
}
