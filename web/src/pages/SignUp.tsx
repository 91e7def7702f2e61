// Sign-up; at /invitation#<token> (the link of an invitation mail) the invited address is filled in,
// the page says who invited to which project, and the new account lands in that project.
import { A, Navigate, useLocation, useNavigate } from "@solidjs/router";
import { createResource, createSignal, Show } from "solid-js";
import { invitationsApi } from "../api/invitations";
import { LIMITS } from "../api/types";
import { applyApiError } from "../components/applyApiError";
import { EMAIL_RE, Field, FormError, passwordProblem, tooLong } from "../components/Field";
import { useSession } from "../stores/session";
import { AuthLayout, EmailField } from "./AuthLayout";

export default function SignUp() {
  const session = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  // The token travels in the fragment: never sent to a server, never in an access log or a Referer.
  const token = location.pathname === "/invitation" ? window.location.hash.slice(1) : "";
  const [invitation] = createResource(
    () => token || undefined,
    (value) => invitationsApi.preview(value).catch(() => null),
  );
  const invited = () => (token ? invitation() : undefined);
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
      const joined = invited()
        ? await session.signUp(name, email, password, token)
        : await session.signUp(name, email, password);
      if (joined) navigate(`/projects/${joined}`, { replace: true });
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
          404: "This invitation link is not valid any more. Ask for a new one, or sign up without it.",
        },
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <Show when={session.status() !== "authenticated" || busy()} fallback={<Navigate href="/" />}>
      <AuthLayout title={token ? "Join your team" : "Create your account"}>
        <Show when={token && invitation.state === "ready" && invitation() === null}>
          <p class="form-error" role="alert">
            This invitation link is not valid any more: it was used, withdrawn or has expired. Ask for a new
            one, or create an account without it.
          </p>
        </Show>
        <Show when={invited()}>
          {(about) => (
            <p class="invitation-note">
              {about().invitedByName ?? "Someone"} invited you to <strong>{about().projectName}</strong>.
              Create your account to join.
            </p>
          )}
        </Show>
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
          <Show
            when={!token || invitation.state === "ready"}
            fallback={<p class="muted">Loading the invitation…</p>}
          >
            <EmailField
              error={errors().email}
              value={invited()?.email}
              readOnly={Boolean(invited())}
              hint={invited() ? "The address the invitation was sent to." : undefined}
            />
          </Show>
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
