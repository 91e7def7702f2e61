// The task's own fields (title, description, column, priority, due date, assignee, labels, repeat) and the
// dialog's buttons. Saves through the tasks store: a new task is created in the chosen column, an
// existing one gets only the fields that changed, with the version it was opened with (a stale one is
// refused with 409), and then, if another column was chosen, a move to the end of that column (the
// column move API; the column's kind becomes the status, a done column completes the task).
import { createSignal, type JSX, Show } from "solid-js";
import { LIMITS, PRIORITIES, PRIORITY_LABEL, type Status, type Task } from "../../api/types";
import { useProject } from "../../stores/project";
import { applyApiError } from "../applyApiError";
import { Field, SelectField, TextareaField } from "../Field";
import { ArchiveIcon } from "../Icons";
import { LabelsField } from "./LabelsField";
import { Markdown } from "./Markdown";
import { RepeatField } from "./RepeatField";
import { changedFields, initialColumn, readTaskForm, taskFormProblems, toDateInput } from "./task-form";

export function TaskForm(props: {
  /** The copy being edited; none for a new task. */
  task: Task | undefined;
  /** A new task's status: it starts in the first column of that kind… */
  status?: Status;
  /** …or in this column (the one it was added to). */
  columnId?: string;
  /** Heading and close button, above the fields. */
  head: JSX.Element;
  onReload: () => void;
  onDelete: () => void;
  onArchive: () => void;
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
  /** Name, id, read-only state and error of the field for `name`. */
  const taskField = (name: string) => ({
    name,
    id: `task-${name}`,
    get disabled() {
      return readOnly();
    },
    get error() {
      return errors()[name];
    },
  });

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
      if (!task) {
        const { columnId, ...fields } = values;
        await ctx.tasks.create(columnId ? { ...fields, columnId } : { ...fields, status: props.status });
      } else {
        const { patch, columnId } = changedFields(task, values);
        // The fields first, with the version the dialog opened with (a move would make it stale).
        if (Object.keys(patch).length > 0) await ctx.tasks.update(task.id, patch, task.version);
        // Shown at once; a refused move rolls back with a toast of its own.
        if (columnId) void ctx.tasks.moveToColumn(task.id, columnId, ctx.tasks.inColumn(columnId).length);
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
        {...taskField("title")}
        value={title()}
        onInput={(e) => setTitle(e.currentTarget.value)}
        max={LIMITS.taskTitle}
        required
        autofocus
      />
      <TextareaField
        label="Description"
        {...taskField("description")}
        rows={5}
        value={description()}
        onInput={(e) => setDescription(e.currentTarget.value)}
        max={LIMITS.taskDescription}
      />
      <Show when={description().trim()}>
        <details class="description-preview" open={readOnly()}>
          <summary>{readOnly() ? "Description (formatted)" : "Preview the description"}</summary>
          <Markdown text={description()} class="preview" />
        </details>
      </Show>
      <div class="grid-2">
        <SelectField
          label="Column"
          {...taskField("columnId")}
          options={ctx.tasks.columns.map((c) => c.id)}
          optionLabel={(id) => ctx.tasks.columns.find((c) => c.id === id)?.name ?? ""}
          value={props.task?.columnId ?? initialColumn(ctx.tasks.columns, props)}
        />
        <SelectField
          label="Priority"
          {...taskField("priority")}
          options={PRIORITIES}
          optionLabel={(priority) => PRIORITY_LABEL[priority]}
          value={props.task?.priority ?? "medium"}
        />
        <Field label="Due date" {...taskField("dueAt")} type="date" value={toDateInput(props.task?.dueAt)} />
        <SelectField
          label="Assignee"
          {...taskField("assigneeId")}
          none="Unassigned"
          options={ctx.members.items().map((m) => m.userId)}
          optionLabel={(userId) => ctx.members.nameOf(userId) ?? ""}
          value={props.task?.assigneeId}
        />
      </div>
      <LabelsField field={taskField("labels")} initial={props.task?.labels ?? []} />
      <RepeatField
        recurrence={props.task?.recurrence ?? null}
        disabled={readOnly()}
        error={errors()["recurrence.rule"] ?? errors().recurrence}
      />
      <div class="dialog-actions">
        <Show when={!isNew && !readOnly()}>
          <button type="button" class="btn" onClick={() => props.onArchive()}>
            <ArchiveIcon /> Archive
          </button>
        </Show>
        {/* Deleting for good is the owners' (editors archive), after a confirmation. */}
        <Show when={!isNew && !readOnly() && ctx.isOwner()}>
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
