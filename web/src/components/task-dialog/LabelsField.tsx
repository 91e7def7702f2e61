// The task's labels: comma-separated text with the project's labels suggested as you type (a native
// <datalist>, so the browser's own keyboard and screen-reader support applies). A new name creates
// the label when the task is saved.
import { createSignal, For } from "solid-js";
import { useProject } from "../../stores/project";
import { Field } from "../Field";

/** Suggestions for the text typed so far: the text with its last, unfinished label completed. */
export function labelSuggestions(typed: string, names: string[]): string[] {
  const cut = typed.lastIndexOf(",");
  const head = cut < 0 ? "" : `${typed.slice(0, cut + 1).trimEnd()} `;
  const fragment = typed
    .slice(cut + 1)
    .trim()
    .toLowerCase();
  const used = new Set(
    typed
      .slice(0, Math.max(cut, 0))
      .split(",")
      .map((label) => label.trim()),
  );
  return names
    .filter((name) => !used.has(name) && name.toLowerCase().includes(fragment))
    .map((name) => `${head}${name}`);
}

export function LabelsField(props: {
  field: { name: string; id: string; disabled: boolean; error: string | undefined };
  initial: string[];
}) {
  const ctx = useProject();
  const [typed, setTyped] = createSignal(props.initial.join(", "));
  const listId = `${props.field.id}-options`;
  return (
    <>
      <Field
        label="Labels"
        {...props.field}
        value={props.initial.join(", ")}
        list={listId}
        autocomplete="off"
        onInput={(e) => setTyped(e.currentTarget.value)}
        hint="Separate labels with commas; the project's labels are suggested as you type."
      />
      <datalist id={listId}>
        <For
          each={labelSuggestions(
            typed(),
            ctx.labels.items().map((label) => label.name),
          ).slice(0, 20)}
        >
          {(suggestion) => <option value={suggestion} />}
        </For>
      </datalist>
    </>
  );
}
