// Account: profile, active sessions (sign out others), mail notifications, calendar feed, change password,
// export / import.
import { createSignal, For, Match, Show, Switch } from "solid-js";
import type { ImportResult, Session } from "../api/types";
import { applyApiError } from "../components/applyApiError";
import { Field, JsonFileButton, passwordProblem } from "../components/Field";
import { ErrorView, RowsSkeleton } from "../components/States";
import { createAccountStore } from "../stores/account";
import { projectsStore } from "../stores/projects";
import { useSession } from "../stores/session";
import { errorToast, showToast } from "../stores/toast";
import { createTransferStore, type ImportPreview } from "../stores/transfer";
import CalendarFeed from "./CalendarFeed";
import Notifications from "./Notifications";
import TimeZoneSetting from "./TimeZoneSetting";

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

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

/** What leaving other people out means for this file ("" when nobody is left out), before or after. */
function peopleNote(result: ImportResult, done = false): string {
  const { skippedMembers: skipped, unassignedTasks: unassigned } = result;
  const was = (n: number) => (n === 1 ? "was" : "were");
  const sentences: string[] = [];
  if (skipped > 0)
    sentences.push(
      done
        ? `${count(skipped, "membership")} of other people ${was(skipped)} left out.`
        : `Other people are never added by an import: ${count(skipped, "membership")} in the file will be left out.`,
    );
  if (unassigned > 0)
    sentences.push(
      done
        ? `${count(unassigned, "task")} ${was(unassigned)} left unassigned.`
        : `${count(unassigned, "task")} will be left unassigned because the assignee is not a member.`,
    );
  return sentences.map((sentence) => ` ${sentence}`).join("");
}

export function copySummary(result: ImportResult): string {
  return `This will create ${count(result.projects.length, "new project")} with ${count(result.tasks, "task")}, with you as the only member.${peopleNote(result)}`;
}

export function restoreSummary(result: ImportResult): string {
  const restored = result.projects.filter((p) => p.action === "restored");
  const recreated = result.projects.filter((p) => p.action === "created");
  const sum = (projects: ImportResult["projects"], key: "created" | "updated" | "deleted") =>
    projects.reduce((total, p) => total + p.tasks[key], 0);
  const sentences: string[] = [];
  if (restored.length > 0) {
    const changes = [
      sum(restored, "created") > 0 ? `${count(sum(restored, "created"), "deleted task")} put back` : "",
      sum(restored, "deleted") > 0
        ? `${count(sum(restored, "deleted"), "task")} added since then deleted`
        : "",
    ].filter(Boolean);
    const fileTasks = sum(restored, "updated") + sum(restored, "created");
    sentences.push(
      `This will set ${count(restored.length, "project")} with ${count(fileTasks, "task")} back to the state in the file${changes.length ? ` (${changes.join(", ")})` : ""}. Members stay as they are.`,
    );
  }
  if (recreated.length > 0) {
    sentences.push(
      `${restored.length > 0 ? "It" : "This"} will create ${count(recreated.length, "deleted project")} again with ${count(sum(recreated, "created"), "task")}, with you as the only member.`,
    );
  }
  return `${sentences.join(" ")}${peopleNote(result)}`;
}

export function importDone(result: ImportResult): string {
  const restored = result.projects.filter((p) => p.action === "restored").length;
  const created = result.projects.length - restored;
  const what = [
    restored > 0 ? `restored ${count(restored, "project")}` : "",
    created > 0 ? `created ${count(created, "project")}` : "",
  ]
    .filter(Boolean)
    .join(" and ");
  const preferences = result.preferences
    ? " Your preferences in the file (mail, time zone) were applied."
    : "";
  return `Import finished: ${what} with ${count(result.tasks, "task")}.${peopleNote(result, true)}${preferences}`;
}

export default function Account() {
  const session = useSession();
  const projects = projectsStore();
  const account = createAccountStore();
  const sessions = account.sessions;
  const transfer = createTransferStore();
  const [pwErrors, setPwErrors] = createSignal<Record<string, string>>({});
  const [importing, setImporting] = createSignal(false);

  const revoke = async (id: string) => {
    try {
      await account.revoke(id);
    } catch (err) {
      errorToast(err, "Could not sign out that session");
    }
  };
  const revokeOthers = async () => {
    const failed = await account.revokeOthers();
    if (failed) showToast(`${failed} session(s) could not be signed out.`, { kind: "error" });
    else showToast("Signed out of all other sessions.", { kind: "success" });
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
      await account.changePassword({ currentPassword, newPassword });
      form.reset();
      showToast("Password changed. Your other sessions were signed out.", { kind: "success" });
    } catch (err) {
      const wrongPassword = { currentPassword: "The current password is wrong." };
      applyApiError(err, {
        setErrors: setPwErrors,
        fallback: "Could not change the password",
        byStatus: { 401: wrongPassword, 403: wrongPassword },
      });
    }
  };

  /** Saves what the server sent as a file (the browser's download). */
  const save = (blob: Blob, name: string) => {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  const today = () => new Date().toISOString().slice(0, 10);

  const exportData = async () => {
    try {
      const data = await transfer.exportData();
      save(
        new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }),
        `taskplatform-export-${today()}.json`,
      );
    } catch (err) {
      errorToast(err, "Could not export your data");
    }
  };

  const [archiving, setArchiving] = createSignal(false);
  const exportArchive = async () => {
    setArchiving(true);
    try {
      save(await transfer.exportArchive(), `taskplatform-export-${today()}.tar`);
    } catch (err) {
      errorToast(err, "Could not export your data with its files");
    } finally {
      setArchiving(false);
    }
  };

  /** A file chosen for import, with what each way of importing it would do (dry runs). */
  const [pending, setPending] = createSignal<ImportPreview | null>(null);
  let previewPanel: HTMLElement | undefined;

  const previewImport = async (file: File | undefined) => {
    if (!file) return;
    setImporting(true);
    setPending(null);
    try {
      setPending(await transfer.preview(file));
      previewPanel?.focus();
    } catch (err) {
      errorToast(err, "Could not read the file");
    } finally {
      setImporting(false);
    }
  };

  const runImport = async (mode: ImportResult["mode"]) => {
    const chosen = pending();
    if (!chosen) return;
    setImporting(true);
    try {
      const result = await transfer.run(chosen, mode);
      setPending(null);
      await projects.load();
      showToast(importDone(result), { kind: "success" });
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
            <ErrorView error={sessions.error} retry={account.refetch} />
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

      <Notifications />

      <TimeZoneSetting />

      <CalendarFeed />

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
        <p class="muted">
          Download all your projects and tasks as JSON, or with the files attached to them as a .tar archive;
          import either kind of file. Nothing is imported before you confirm, and an import never adds other
          people to a project.
        </p>
        <div class="row row-wrap">
          <button type="button" class="btn" onClick={exportData}>
            Export data
          </button>
          <button type="button" class="btn" disabled={archiving()} onClick={exportArchive}>
            {archiving() ? "Exporting…" : "Export with files"}
          </button>
          <JsonFileButton
            label={importing() ? "Reading…" : "Import data"}
            disabled={importing()}
            archives
            onFile={(file) => void previewImport(file)}
          />
        </div>
        <Show when={pending()}>
          {(chosen) => {
            const restore = () => chosen().restore;
            const restorable = () => {
              const preview = restore();
              return typeof preview === "object" ? preview : undefined;
            };
            return (
              <section
                class="import-preview stack"
                aria-labelledby="import-preview-heading"
                tabindex="-1"
                ref={previewPanel}
              >
                <h3 id="import-preview-heading">Import “{chosen().fileName}”?</h3>
                <Show when={restorable()}>
                  {(preview) => (
                    <p>
                      <strong>Restore:</strong> {restoreSummary(preview())}
                    </p>
                  )}
                </Show>
                <p>
                  <strong>Import as a copy:</strong> {copySummary(chosen().copy)}
                </p>
                <Show when={typeof restore() === "string"}>
                  <p class="muted">Restoring is not possible: {restore() as string}</p>
                </Show>
                <div class="row row-wrap">
                  <Show when={restorable()}>
                    <button
                      type="button"
                      class="btn btn-primary"
                      disabled={importing()}
                      onClick={() => runImport("restore")}
                    >
                      Restore
                    </button>
                  </Show>
                  <button
                    type="button"
                    class="btn"
                    classList={{ "btn-primary": !restorable() }}
                    disabled={importing()}
                    onClick={() => runImport("copy")}
                  >
                    Import as a copy
                  </button>
                  <button type="button" class="btn" disabled={importing()} onClick={() => setPending(null)}>
                    Cancel
                  </button>
                </div>
              </section>
            );
          }}
        </Show>
      </section>
    </div>
  );
}
