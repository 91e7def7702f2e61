// The task's own fields (title, description, status, priority, due date, assignee, labels) and the
// dialog's buttons. Saves through the tasks store: a new task is created, an existing one gets only
// the fields that changed, with the version it was opened with (a stale one is refused with 409).
import { createSignal, type JSX, Show } from "solid-js";
import {
  LIMITS,
  PRIORITIES,
  PRIORITY_LABEL,
  STATUS_LABEL,
  STATUSES,
  type Status,
  type Task,
} from "../../api/types";
import { useProject } from "../../stores/project";
import { applyApiError } from "../applyApiError";
import { Field, SelectField, TextareaField } from "../Field";
import { changedFields, readTaskForm, taskFormProblems, toDateInput } from "./task-form";

export function TaskForm(props: {
  /** The copy being edited; none for a new task. */
  task: Task | undefined;
  /** A new task's column. */
  status?: Status;
  /** Heading and close button, above the fields. */
  head: JSX.Element;
  onReload: () => void;
  onDelete: () => void;
  /** The task was deleted meanwhile. */
  onGone: () => void;
  onClose: () => void;
}) {
  const ctx = useProject();
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [conflict, setConflict] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  // What is typed, for the character counts (the form itself is read on submit).
  const [title, setTitle] = createSignal(props.task?.title ?? "");
  const [description, setDescription] = createSignal(props.task?.description ?? "");
  const readOnly = () => !ctx.canEdit();
  const isNew = !props.task;

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (readOnly()) return props.onClose();
    const values = readTaskForm(e.currentTarget as HTMLFormElement);
    const problems = taskFormProblems(values);
    setErrors(problems);
    if (Object.keys(problems).length) return;
    setBusy(true);
    setConflict(false);
    try {
      const task = props.task;
      if (!task) await ctx.tasks.create(values);
      else {
        const patch = changedFields(task, values);
        if (Object.keys(patch).length > 0) await ctx.tasks.update(task.id, patch, task.version);
      }
      props.onClose();
    } catch (err) {
      applyApiError(err, {
        setErrors,
        fallback: "Could not save the task.",
        byStatus: {
          409: () => {
            setConflict(true);
            return "Someone else changed this task; your edit was not saved.";
          },
          404: () => {
            props.onGone();
            return undefined;
          },
        },
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="stack" onSubmit={submit} noValidate>
      {props.head}
      <Show when={conflict()}>
        <div class="form-error" role="alert">
          Someone else changed this task while you were editing it. Your changes were not saved.{" "}
          <button type="button" class="link" onClick={() => props.onReload()}>
            Reload task
          </button>
        </div>
      </Show>
      <Field
        label="Title"
        name="title"
        id="task-title"
        value={title()}
        onInput={(e) => setTitle(e.currentTarget.value)}
        max={LIMITS.taskTitle}
        required
        autofocus
        disabled={readOnly()}
        error={errors().title}
      />
      <TextareaField
        label="Description"
        name="description"
        id="task-description"
        rows={5}
        value={description()}
        onInput={(e) => setDescription(e.currentTarget.value)}
        max={LIMITS.taskDescription}
        disabled={readOnly()}
        error={errors().description}
      />
      <div class="grid-2">
        <SelectField
          label="Status"
          name="status"
          id="task-status"
          options={STATUSES}
          optionLabel={(status) => STATUS_LABEL[status]}
          value={props.task?.status ?? props.status ?? "todo"}
          disabled={readOnly()}
          error={errors().status}
        />
        <SelectField
          label="Priority"
          name="priority"
          id="task-priority"
          options={PRIORITIES}
          optionLabel={(priority) => PRIORITY_LABEL[priority]}
          value={props.task?.priority ?? "medium"}
          disabled={readOnly()}
          error={errors().priority}
        />
        <Field
          label="Due date"
          name="dueAt"
          id="task-dueAt"
          type="date"
          value={toDateInput(props.task?.dueAt)}
          disabled={readOnly()}
          error={errors().dueAt}
        />
        <SelectField
          label="Assignee"
          name="assigneeId"
          id="task-assigneeId"
          none="Unassigned"
          options={ctx.members.items().map((m) => m.userId)}
          optionLabel={(userId) => ctx.members.nameOf(userId) ?? ""}
          value={props.task?.assigneeId}
          disabled={readOnly()}
          error={errors().assigneeId}
        />
      </div>
      <Field
        label="Labels"
        name="labels"
        id="task-labels"
        value={(props.task?.labels ?? []).join(", ")}
        hint="Separate labels with commas."
        disabled={readOnly()}
        error={errors().labels}
      />
      <div class="dialog-actions">
        <Show when={!isNew && !readOnly()}>
          <button type="button" class="btn btn-danger" onClick={() => props.onDelete()}>
            Delete
          </button>
        </Show>
        <span class="spacer" />
        <button type="button" class="btn" onClick={() => props.onClose()}>
          {readOnly() ? "Close" : "Cancel"}
        </button>
        <Show when={!readOnly()}>
          <button type="submit" class="btn btn-primary" disabled={busy()}>
            {isNew ? "Create task" : "Save"}
          </button>
        </Show>
      </div>
    </form>
  );
}
