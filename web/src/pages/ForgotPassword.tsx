// "Forgot password": one answer for every address (the server's), so this page cannot tell either.
import { A } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { authApi } from "../api/auth";
import { applyApiError } from "../components/applyApiError";
import { EMAIL_RE, FormError } from "../components/Field";
import { AuthLayout, EmailField } from "./AuthLayout";

export default function ForgotPassword() {
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [answer, setAnswer] = createSignal("");

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const email = String(new FormData(e.currentTarget as HTMLFormElement).get("email") ?? "").trim();
    setFormError("");
    if (!EMAIL_RE.test(email)) return setErrors({ email: "Enter a valid email address." });
    setErrors({});
    setBusy(true);
    try {
      setAnswer((await authApi.requestReset(email)).message);
    } catch (err) {
      applyApiError(err, {
        setErrors,
        setFormError,
        fallback: "Could not send the link.",
        byStatus: { 429: "Too many requests for a link. Wait a while and try again." },
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthLayout title="Reset your password">
      <Show
        when={!answer()}
        fallback={
          <p class="invitation-note" role="status">
            {answer()}
          </p>
        }
      >
        <p class="muted">Enter the address of your account. We send a link to choose a new password.</p>
        <form class="stack" onSubmit={submit} noValidate>
          <FormError message={formError()} />
          <EmailField error={errors().email} />
          <button type="submit" class="btn btn-primary" disabled={busy()}>
            {busy() ? "Sending…" : "Send the link"}
          </button>
        </form>
      </Show>
      <p class="muted">
        <A href="/signin">Back to sign in</A>
      </p>
    </AuthLayout>
  );
}
