// Account: profile, active sessions (sign out others), change password, export / import.
import { createResource, createSignal, For, Match, Show, Switch } from "solid-js";
import { ApiError, api } from "../api/client";
import type { Session } from "../api/types";
import { Field, passwordProblem } from "../components/Field";
import { ErrorView, RowsSkeleton } from "../components/States";
import { projectsStore } from "../stores/projects";
import { useSession } from "../stores/session";
import { errorToast, showToast } from "../stores/toast";

/** "Firefox 128 on Linux" from what the API parsed out of the user agent. */
export function describeSession(s: Pick<Session, "browser" | "os">): string {
  const browser = s.browser ?? "Unknown browser";
  return s.os ? `${browser} on ${s.os}` : browser;
}

/** "just now", "12 minutes ago", "3 hours ago", then a date with the time: sessions used the same day differ. */
export function formatWhen(iso: string, now = Date.now()): string {
  const date = new Date(iso);
  const minutes = Math.round((now - date.getTime()) / 60_000);
  if (minutes < 1) return "just now";
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  if (minutes < 60) return relative.format(-minutes, "minute");
  if (minutes < 24 * 60) return relative.format(-Math.round(minutes / 60), "hour");
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export default function Account() {
  const session = useSession();
  const projects = projectsStore();
  // This device first, then the most recently used.
  const [sessions, { refetch }] = createResource(async () =>
    (await api.sessions()).items.sort((a, b) => Number(b.current) - Number(a.current)),
  );
  const [pwErrors, setPwErrors] = createSignal<Record<string, string>>({});
  const [importing, setImporting] = createSignal(false);

  const revoke = async (id: string) => {
    try {
      await api.revokeSession(id);
    } catch (err) {
      errorToast(err, "Could not sign out that session");
    }
    void refetch();
  };
  const revokeOthers = async () => {
    const others = (sessions() ?? []).filter((s) => !s.current);
    const results = await Promise.allSettled(others.map((s) => api.revokeSession(s.id)));
    const failed = results.filter((r) => r.status === "rejected").length;
    if (failed) showToast(`${failed} session(s) could not be signed out.`, { kind: "error" });
    else showToast("Signed out of all other sessions.", { kind: "success" });
    void refetch();
  };

  const changePassword = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const currentPassword = String(data.get("currentPassword") ?? "");
    const newPassword = String(data.get("newPassword") ?? "");
    const confirm = String(data.get("confirmPassword") ?? "");
    const errors: Record<string, string> = {};
    if (!currentPassword) errors.currentPassword = "Enter your current password.";
    const problem = passwordProblem(newPassword);
    if (problem) errors.newPassword = problem;
    else if (newPassword !== confirm) errors.confirmPassword = "The passwords do not match.";
    setPwErrors(errors);
    if (Object.keys(errors).length) return;
    try {
      await api.changePassword({ currentPassword, newPassword });
      form.reset();
      showToast("Password changed. Your other sessions were signed out.", { kind: "success" });
      void refetch();
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403))
        setPwErrors({ currentPassword: "The current password is wrong." });
      else if (err instanceof ApiError && Object.keys(err.fields).length) setPwErrors(err.fields);
      else errorToast(err, "Could not change the password");
    }
  };

  const exportData = async () => {
    try {
      const data = await api.exportData();
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const link = document.createElement("a");
      link.href = url;
      link.download = `taskplatform-export-${new Date().toISOString().slice(0, 10)}.json`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (err) {
      errorToast(err, "Could not export your data");
    }
  };

  const importData = async (file: File | undefined) => {
    if (!file) return;
    setImporting(true);
    try {
      let data: unknown;
      try {
        data = JSON.parse(await file.text());
      } catch {
        throw new Error("That file is not valid JSON.");
      }
      await api.importData(data);
      await projects.load();
      showToast("Import finished.", { kind: "success" });
    } catch (err) {
      errorToast(err, "Could not import the file");
    } finally {
      setImporting(false);
    }
  };

  return (
    <div class="settings">
      <h1>Account &amp; data</h1>
      <section class="panel" aria-labelledby="profile-heading">
        <h2 id="profile-heading">Profile</h2>
        <p>
          <strong>{session.user()?.name}</strong> <span class="muted">{session.user()?.email}</span>
        </p>
      </section>

      <section class="panel" aria-labelledby="sessions-heading">
        <div class="panel-head">
          <h2 id="sessions-heading">Sessions</h2>
          <button
            type="button"
            class="btn btn-small"
            disabled={(sessions() ?? []).filter((s) => !s.current).length === 0}
            onClick={revokeOthers}
          >
            Sign out other sessions
          </button>
        </div>
        <Switch>
          <Match when={sessions.error}>
            <ErrorView error={sessions.error} retry={refetch} />
          </Match>
          <Match when={sessions.latest === undefined}>
            <RowsSkeleton rows={2} />
          </Match>
          <Match when={true}>
            <ul class="sessions">
              <For each={sessions.latest}>
                {(s) => (
                  <li class="session">
                    <div>
                      <strong title={s.userAgent}>{describeSession(s)}</strong>
                      <Show when={s.current}>
                        <span class="badge badge-accent">This device</span>
                      </Show>
                      <p class="muted">
                        {s.ip} · last used <time dateTime={s.lastUsedAt}>{formatWhen(s.lastUsedAt)}</time> ·
                        signed in <time dateTime={s.createdAt}>{formatWhen(s.createdAt)}</time>
                      </p>
                    </div>
                    <Show when={!s.current}>
                      <button type="button" class="btn btn-small" onClick={() => revoke(s.id)}>
                        Sign out<span class="visually-hidden"> {describeSession(s)} session</span>
                      </button>
                    </Show>
                  </li>
                )}
              </For>
            </ul>
          </Match>
        </Switch>
      </section>

      <section class="panel" aria-labelledby="password-heading">
        <h2 id="password-heading">Change password</h2>
        <form class="stack narrow" onSubmit={changePassword} noValidate>
          <Field
            label="Current password"
            name="currentPassword"
            type="password"
            autocomplete="current-password"
            error={pwErrors().currentPassword}
          />
          <Field
            label="New password"
            name="newPassword"
            type="password"
            autocomplete="new-password"
            hint="8 to 128 characters."
            error={pwErrors().newPassword}
          />
          <Field
            label="Repeat new password"
            name="confirmPassword"
            type="password"
            autocomplete="new-password"
            error={pwErrors().confirmPassword}
          />
          <div class="row">
            <button type="submit" class="btn btn-primary">
              Change password
            </button>
          </div>
        </form>
      </section>

      <section class="panel" aria-labelledby="data-heading">
        <h2 id="data-heading">Export and import</h2>
        <p class="muted">Download all your projects and tasks as JSON, or import such a file.</p>
        <div class="row row-wrap">
          <button type="button" class="btn" onClick={exportData}>
            Export data
          </button>
          <label class="btn file-btn" classList={{ disabled: importing() }}>
            {importing() ? "Importing…" : "Import data"}
            <input
              type="file"
              accept="application/json,.json"
              class="visually-hidden"
              disabled={importing()}
              onChange={(e) => {
                void importData(e.currentTarget.files?.[0]);
                e.currentTarget.value = "";
              }}
            />
          </label>
        </div>
      </section>
    </div>
  );
}
