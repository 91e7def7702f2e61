// Create / edit a task in a modal <dialog>. Saves optimistically through the tasks store; a stale
// edit (409) rolls back and offers to reload the task.
import { createSignal, For, onMount, Show } from "solid-js";
import { ApiError } from "../api/client";
import {
  LIMITS,
  PRIORITIES,
  PRIORITY_LABEL,
  type Priority,
  STATUS_LABEL,
  STATUSES,
  type Status,
  type Task,
} from "../api/types";
import { type DialogTarget, useProject } from "../pages/ProjectLayout";
import { showToast } from "../stores/toast";
import { CharCount, tooLong } from "./Field";
import { CloseIcon } from "./Icons";

export function toDateInput(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 10) : "";
}
export function fromDateInput(value: string): string | null {
  return value ? new Date(`${value}T12:00:00.000Z`).toISOString() : null;
}
export function parseLabels(value: string): string[] {
  return [
    ...new Set(
      value
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean),
    ),
  ];
}

export default function TaskDialog(props: { target: DialogTarget; onClose: () => void }) {
  const ctx = useProject();
  let dialog!: HTMLDialogElement;
  const existing = props.target.taskId ? ctx.tasks.byId(props.target.taskId) : undefined;
  const [base, setBase] = createSignal<Task | undefined>(existing ? { ...existing } : undefined);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [conflict, setConflict] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const readOnly = () => !ctx.canEdit();
  const isNew = () => !props.target.taskId;

  onMount(() => {
    if (typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
    else dialog.setAttribute("open", "");
  });
  const close = () => {
    if (dialog.open) dialog.close();
    props.onClose();
  };

  const read = (form: HTMLFormElement) => {
    const data = new FormData(form);
    const assignee = String(data.get("assigneeId") ?? "");
    return {
      title: String(data.get("title") ?? "").trim(),
      description: String(data.get("description") ?? ""),
      status: String(data.get("status") ?? "todo") as Status,
      priority: String(data.get("priority") ?? "medium") as Priority,
      dueAt: fromDateInput(String(data.get("dueAt") ?? "")),
      labels: parseLabels(String(data.get("labels") ?? "")),
      assigneeId: assignee || null,
    };
  };

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (readOnly()) return close();
    const input = read(e.currentTarget as HTMLFormElement);
    const problems: Record<string, string> = {};
    const title = input.title ? tooLong(input.title, LIMITS.taskTitle) : "Enter a title.";
    const description = tooLong(input.description, LIMITS.taskDescription);
    if (title) problems.title = title;
    if (description) problems.description = description;
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    setConflict(false);
    try {
      const current = base();
      if (!current) {
        await ctx.tasks.create(input);
        return close();
      }
      const patch: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(input)) {
        const before = (current as unknown as Record<string, unknown>)[key];
        if (key === "description" && !before && !value) continue;
        if (JSON.stringify(before ?? null) !== JSON.stringify(value ?? null)) patch[key] = value;
      }
      if (Object.keys(patch).length > 0) await ctx.tasks.update(current.id, patch, current.version);
      close();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        setConflict(true);
        showToast("Someone else changed this task; your edit was not saved.", { kind: "error" });
      } else if (err instanceof ApiError && err.status === 422 && Object.keys(err.fields).length) {
        setErrors(err.fields);
      } else if (err instanceof ApiError && err.status === 404) {
        showToast("This task no longer exists.", { kind: "error" });
        close();
      } else {
        showToast(err instanceof Error ? err.message : "Could not save the task.", { kind: "error" });
      }
    } finally {
      setBusy(false);
    }
  };

  const remove = () => {
    const current = base();
    if (!current) return;
    close();
    ctx.tasks.remove(current.id);
  };

  const reload = async () => {
    const current = base();
    if (!current) return;
    try {
      setBase({ ...(await ctx.tasks.reload(current.id)) } as Task);
      setConflict(false);
    } catch {
      showToast("This task no longer exists.", { kind: "error" });
      close();
    }
  };

  /** `counted`: the field shows a character count (task-<name>-count). */
  const fieldProps = (name: string, counted = false) => ({
    id: `task-${name}`,
    name,
    disabled: readOnly(),
    "aria-invalid": errors()[name] ? true : undefined,
    "aria-describedby":
      [errors()[name] ? `task-${name}-error` : "", counted ? `task-${name}-count` : ""]
        .filter(Boolean)
        .join(" ") || undefined,
  });
  const FieldError = (p: { name: string }) => (
    <Show when={errors()[p.name]}>
      <p id={`task-${p.name}-error`} class="field-error">
        {errors()[p.name]}
      </p>
    </Show>
  );

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby="task-dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
    >
      {/* Keyed on the task copy: "Reload task" re-creates the form with the server's values. */}
      <Show when={base() || isNew()} keyed>
        {(_current) => {
          // What is typed, for the character counts (the form itself is read on submit).
          const [title, setTitle] = createSignal(base()?.title ?? "");
          const [description, setDescription] = createSignal(base()?.description ?? "");
          return (
            <form class="stack" onSubmit={submit} noValidate>
              <div class="dialog-head">
                <h2 id="task-dialog-title">{isNew() ? "New task" : readOnly() ? "Task" : "Edit task"}</h2>
                <button type="button" class="icon-btn" aria-label="Close" onClick={close}>
                  <CloseIcon />
                </button>
              </div>
              <Show when={conflict()}>
                <div class="form-error" role="alert">
                  Someone else changed this task while you were editing it. Your changes were not saved.{" "}
                  <button type="button" class="link" onClick={reload}>
                    Reload task
                  </button>
                </div>
              </Show>
              <div class="field">
                <label for="task-title">Title</label>
                <input
                  {...fieldProps("title", true)}
                  value={base()?.title ?? ""}
                  required
                  autofocus
                  onInput={(e) => setTitle(e.currentTarget.value)}
                />
                <CharCount id="task-title-count" value={title()} max={LIMITS.taskTitle} />
                <FieldError name="title" />
              </div>
              <div class="field">
                <label for="task-description">Description</label>
                <textarea
                  {...fieldProps("description", true)}
                  rows={5}
                  onInput={(e) => setDescription(e.currentTarget.value)}
                >
                  {base()?.description ?? ""}
                </textarea>
                <CharCount id="task-description-count" value={description()} max={LIMITS.taskDescription} />
                <FieldError name="description" />
              </div>
              <div class="grid-2">
                <div class="field">
                  <label for="task-status">Status</label>
                  <select {...fieldProps("status")}>
                    <For each={STATUSES}>
                      {(s) => (
                        <option value={s} selected={(base()?.status ?? props.target.status ?? "todo") === s}>
                          {STATUS_LABEL[s]}
                        </option>
                      )}
                    </For>
                  </select>
                </div>
                <div class="field">
                  <label for="task-priority">Priority</label>
                  <select {...fieldProps("priority")}>
                    <For each={PRIORITIES}>
                      {(p) => (
                        <option value={p} selected={(base()?.priority ?? "medium") === p}>
                          {PRIORITY_LABEL[p]}
                        </option>
                      )}
                    </For>
                  </select>
                </div>
                <div class="field">
                  <label for="task-dueAt">Due date</label>
                  <input {...fieldProps("dueAt")} type="date" value={toDateInput(base()?.dueAt)} />
                  <FieldError name="dueAt" />
                </div>
                <div class="field">
                  <label for="task-assigneeId">Assignee</label>
                  <select {...fieldProps("assigneeId")}>
                    <option value="">Unassigned</option>
                    <For each={ctx.members()}>
                      {(m) => (
                        <option value={m.userId} selected={base()?.assigneeId === m.userId}>
                          {m.name}
                        </option>
                      )}
                    </For>
                  </select>
                </div>
              </div>
              <div class="field">
                <label for="task-labels">Labels</label>
                <input
                  {...fieldProps("labels")}
                  value={(base()?.labels ?? []).join(", ")}
                  aria-describedby="task-labels-hint"
                />
                <p id="task-labels-hint" class="hint">
                  Separate labels with commas.
                </p>
                <FieldError name="labels" />
              </div>
              <div class="dialog-actions">
                <Show when={!isNew() && !readOnly()}>
                  <button type="button" class="btn btn-danger" onClick={remove}>
                    Delete
                  </button>
                </Show>
                <span class="spacer" />
                <button type="button" class="btn" onClick={close}>
                  {readOnly() ? "Close" : "Cancel"}
                </button>
                <Show when={!readOnly()}>
                  <button type="submit" class="btn btn-primary" disabled={busy()}>
                    {isNew() ? "Create task" : "Save"}
                  </button>
                </Show>
              </div>
            </form>
          );
        }}
      </Show>
    </dialog>
  );
}
