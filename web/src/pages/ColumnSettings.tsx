// An owner's settings for one column (a lazy chunk of the board): name, WIP limit, done column, kind,
// and delete — asking where the column's tasks go when it has any.
import { createSignal, onMount, Show } from "solid-js";
import { ApiError } from "../api/http";
import { type Column, LIMITS, STATUS_LABEL, STATUSES, type Status } from "../api/types";
import { Field, FormError, SelectField, tooLong } from "../components/Field";
import { useProject } from "../stores/project";

export default function ColumnSettings(props: { column: Column; onClose: () => void }) {
  const ctx = useProject();
  let dialog!: HTMLDialogElement;
  const [errors, setErrors] = createSignal<{ name?: string; wipLimit?: string }>({});
  const [formError, setFormError] = createSignal("");
  const [busy, setBusy] = createSignal(false);
  const [nameValue, setNameValue] = createSignal(props.column.name);
  const others = () => ctx.tasks.columns.filter((c) => c.id !== props.column.id);
  const taskCount = () => ctx.tasks.inColumn(props.column.id).length;
  onMount(() => {
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  });
  const close = () => {
    if (dialog.open) dialog.close();
    props.onClose();
  };
  const message = (error: unknown) =>
    error instanceof ApiError ? error.message : "Something went wrong. Try again.";

  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const name = String(form.get("name") ?? "").trim();
    const limitText = String(form.get("wipLimit") ?? "").trim();
    const limit = limitText === "" ? null : Number(limitText);
    const problems: { name?: string; wipLimit?: string } = {};
    if (!name) problems.name = "Enter a name.";
    else problems.name = tooLong(name, LIMITS.columnName);
    if (limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > 1000))
      problems.wipLimit = "Use a whole number from 1 to 1,000, or leave it empty.";
    setErrors(problems);
    if (problems.name || problems.wipLimit) return;
    setBusy(true);
    setFormError("");
    try {
      await ctx.tasks.changeColumn(props.column.id, {
        name,
        wipLimit: limit,
        done: form.get("done") === "on",
        kind: String(form.get("kind")) as Status,
      });
      close();
    } catch (error) {
      setFormError(message(error));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (e: SubmitEvent) => {
    e.preventDefault();
    const moveTo = String(new FormData(e.currentTarget as HTMLFormElement).get("moveTo") ?? "") || undefined;
    setBusy(true);
    setFormError("");
    try {
      await ctx.tasks.deleteColumn(props.column.id, taskCount() > 0 ? moveTo : undefined);
      close();
    } catch (error) {
      setFormError(message(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby="column-settings-title"
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
    >
      <div class="dialog-head">
        <h2 id="column-settings-title">Column “{props.column.name}”</h2>
      </div>
      <form onSubmit={save} noValidate>
        <Field
          label="Name"
          id="column-name"
          name="name"
          value={nameValue()}
          onInput={(e) => setNameValue(e.currentTarget.value)}
          max={LIMITS.columnName}
          error={errors().name}
        />
        <Field
          label="WIP limit"
          id="column-wip"
          name="wipLimit"
          type="number"
          inputMode="numeric"
          value={props.column.wipLimit ?? ""}
          hint="The board warns when the column holds more tasks. Empty: no limit."
          error={errors().wipLimit}
        />
        <SelectField
          label="Counts as"
          id="column-kind"
          name="kind"
          options={STATUSES}
          optionLabel={(status) => STATUS_LABEL[status]}
          value={props.column.kind}
          hint="The status its tasks have for lists, filters and the API."
        />
        <div class="field field-check">
          <input type="checkbox" id="column-done" name="done" checked={props.column.done} />
          <label for="column-done">Done column: tasks moved here are completed</label>
        </div>
        <FormError message={formError()} />
        <div class="dialog-actions">
          <span class="spacer" />
          <button type="button" class="btn" onClick={close}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy()}>
            Save
          </button>
        </div>
      </form>
      <form class="danger-zone" onSubmit={remove} noValidate>
        <h3>Delete column</h3>
        <Show when={taskCount() > 0} fallback={<p class="muted">The column is empty.</p>}>
          <SelectField
            label={`Move its ${taskCount()} ${taskCount() === 1 ? "task" : "tasks"} to…`}
            id="column-move-to"
            name="moveTo"
            options={others().map((c) => c.id)}
            optionLabel={(id) => others().find((c) => c.id === id)?.name ?? id}
          />
        </Show>
        <div class="dialog-actions">
          <span class="spacer" />
          <button type="submit" class="btn btn-danger" disabled={busy()}>
            Delete column
          </button>
        </div>
      </form>
    </dialog>
  );
}
