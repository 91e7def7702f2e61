// The project's labels in its settings: everyone sees them as chips; owners add, rename, recolour
// (from the palette) and delete them, after a confirmation. Renames and deletes reach every task.
import { createSignal, For, Show } from "solid-js";
import { LABEL_COLOR_NAME, LABEL_COLORS, type Label, type LabelColor } from "../api/types";
import { useProject } from "../stores/project";
import { errorToast, showToast } from "../stores/toast";
import { applyApiError } from "./applyApiError";
import { ConfirmDialog } from "./ConfirmDialog";
import { Field, SelectField } from "./Field";

const LABEL_MAX = 50;

function checkName(value: string): string | undefined {
  if (!value) return "Enter a label name.";
  if ([...value].length > LABEL_MAX) return `Use at most ${LABEL_MAX} characters.`;
  return undefined;
}

function LabelRow(props: { label: Label; onDelete: () => void }) {
  const ctx = useProject();
  const [errors, setErrors] = createSignal<Record<string, string | undefined>>({});
  const id = () => `label-${props.label.id}`;
  const save = async (e: SubmitEvent) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget as HTMLFormElement);
    const name = String(data.get("name") ?? "").trim();
    const color = String(data.get("color")) as LabelColor;
    const problem = checkName(name);
    setErrors({ name: problem });
    if (problem) return;
    const changes = {
      ...(name !== props.label.name ? { name } : {}),
      ...(color !== props.label.color ? { color } : {}),
    };
    if (Object.keys(changes).length === 0) return;
    try {
      await ctx.labels.update(props.label.id, changes);
      showToast(`Label “${name}” saved.`, { kind: "success" });
    } catch (err) {
      applyApiError(err, {
        setErrors,
        byStatus: { 409: { name: "Another label has this name." } },
        fallback: "Could not save the label",
      });
    }
  };
  return (
    <li>
      <form class="label-row" onSubmit={save} noValidate aria-label={`Label ${props.label.name}`}>
        <span class={`label chip-${props.label.color}`}>{props.label.name}</span>
        <Field label="Name" name="name" id={`${id()}-name`} value={props.label.name} error={errors().name} />
        <SelectField
          label="Colour"
          name="color"
          id={`${id()}-color`}
          options={LABEL_COLORS}
          optionLabel={(color) => LABEL_COLOR_NAME[color]}
          value={props.label.color}
        />
        <button type="submit" class="btn btn-small">
          Save
        </button>
        <button
          type="button"
          class="btn btn-small btn-danger"
          aria-label={`Delete label ${props.label.name}`}
          onClick={() => props.onDelete()}
        >
          Delete
        </button>
      </form>
    </li>
  );
}

export default function LabelManager() {
  const ctx = useProject();
  const [deleting, setDeleting] = createSignal<Label | null>(null);
  const [errors, setErrors] = createSignal<Record<string, string | undefined>>({});
  const editable = () => ctx.isOwner() && !ctx.project().archivedAt;

  const add = async (e: SubmitEvent) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get("name") ?? "").trim();
    const problem = checkName(name);
    setErrors({ name: problem });
    if (problem) return;
    try {
      await ctx.labels.create(name, String(data.get("color")) as LabelColor);
      form.reset();
      showToast(`Label “${name}” added.`, { kind: "success" });
    } catch (err) {
      applyApiError(err, {
        setErrors,
        byStatus: { 409: { name: "The project already has this label." } },
        fallback: "Could not add the label",
      });
    }
  };
  const remove = async (label: Label) => {
    try {
      await ctx.labels.remove(label.id);
      showToast(`Label “${label.name}” deleted.`, { kind: "success" });
    } catch (err) {
      errorToast(err, "Could not delete the label");
    }
  };

  return (
    <section class="panel" aria-labelledby="labels-heading">
      <h2 id="labels-heading">Labels</h2>
      <Show
        when={editable()}
        fallback={
          <Show when={ctx.labels.items().length} fallback={<p class="muted">No labels yet.</p>}>
            <p class="labels">
              <For each={ctx.labels.items()}>
                {(label) => <span class={`label chip-${label.color}`}>{label.name}</span>}
              </For>
            </p>
          </Show>
        }
      >
        <p class="muted">Renaming or deleting a label changes it on every task that has it.</p>
        <ul class="label-rows">
          <For each={ctx.labels.items()}>
            {(label) => <LabelRow label={label} onDelete={() => setDeleting(label)} />}
          </For>
        </ul>
        <form class="label-row" onSubmit={add} noValidate aria-label="Add a label">
          <Field label="New label" name="name" id="new-label-name" error={errors().name} />
          <SelectField
            label="Colour"
            name="color"
            id="new-label-color"
            options={LABEL_COLORS}
            optionLabel={(color) => LABEL_COLOR_NAME[color]}
            value="slate"
          />
          <button type="submit" class="btn btn-small btn-primary">
            Add label
          </button>
        </form>
      </Show>
      <Show when={deleting()} keyed>
        {(label) => (
          <ConfirmDialog
            title={`Delete the label “${label.name}”?`}
            message="It is taken off every task that has it. This cannot be undone."
            confirmLabel="Delete label"
            onConfirm={() => remove(label)}
            onClose={() => setDeleting(null)}
          />
        )}
      </Show>
    </section>
  );
}
