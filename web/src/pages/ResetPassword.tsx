// /reset-password#<token>, the link of a reset mail: a new password ends every other session and signs
// this browser in.
import { A, useNavigate } from "@solidjs/router";
import { createSignal, Show } from "solid-js";
import { applyApiError } from "../components/applyApiError";
import { Field, FormError, passwordProblem } from "../components/Field";
import { useSession } from "../stores/session";
import { showToast } from "../stores/toast";
import { AuthLayout } from "./AuthLayout";

export default function ResetPassword() {
  const session = useSession();
  const navigate = useNavigate();
  // In the fragment: never sent to a server, never in an access log or a Referer.
  const token = window.location.hash.slice(1);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [formError, setFormError] = createSignal(
    token ? "" : "This link is not complete. Open it from the mail again, or ask for a new one.",
  );
  const [busy, setBusy] = createSignal(false);

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const password = String(form.get("password") ?? "");
    const next: Record<string, string> = {};
    const problem = passwordProblem(password);
    if (problem) next.password = problem;
    if (String(form.get("confirmPassword") ?? "") !== password)
      next.confirmPassword = "The passwords differ.";
    setErrors(next);
    setFormError("");
    if (Object.keys(next).length) return;
    setBusy(true);
    try {
      await session.resetPassword(token, password);
      showToast("Password changed. You were signed out everywhere else.", { kind: "success" });
      navigate("/", { replace: true });
    } catch (err) {
      applyApiError(err, {
        setErrors,
        setFormError,
        fallback: "Could not change the password.",
        byStatus: {
          404: "This link is not valid any more: it was used or has expired. Ask for a new one.",
          422: (error) => ({ ...error.fields, password: error.fields.password ?? error.message }),
        },
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <AuthLayout title="Choose a new password">
      <form class="stack" onSubmit={submit} noValidate>
        <FormError message={formError()} />
        <Field
          label="New password"
          name="password"
          type="password"
          autocomplete="new-password"
          required
          hint="8 to 128 characters. A passphrase is easiest."
          error={errors().password}
        />
        <Field
          label="Repeat new password"
          name="confirmPassword"
          type="password"
          autocomplete="new-password"
          required
          error={errors().confirmPassword}
        />
        <button type="submit" class="btn btn-primary" disabled={busy() || !token}>
          {busy() ? "Saving…" : "Set the new password"}
        </button>
      </form>
      <Show when={formError()}>
        <p class="muted">
          <A href="/forgot-password">Ask for a new link</A>
        </p>
      </Show>
    </AuthLayout>
  );
}
