// The task's checklist in the dialog: progress, tick (everyone who may edit), add, edit, reorder
// (Move up / Move down buttons: keyboard-friendly), delete. Live: another member's change replaces the
// list (checklist.changed carries the whole checklist).
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { live } from "../../api/events";
import { ApiError } from "../../api/http";
import { type ChecklistItem, LIMITS } from "../../api/types";
import { createChecklistStore } from "../../stores/discussion";
import { useProject } from "../../stores/project";
import { charCount, FormError } from "../Field";

export function Checklist(props: { taskId: string }) {
  const ctx = useProject();
  const checklist = createChecklistStore(props.taskId, ctx.counts);
  const items = checklist.items;
  const [loaded, setLoaded] = createSignal(false);
  const [draft, setDraft] = createSignal("");
  const [editing, setEditing] = createSignal<string | null>(null);
  const [error, setError] = createSignal("");
  const done = () => items().filter((item) => item.done).length;

  onMount(() => {
    void checklist
      .load()
      .catch(() => setError("Could not load the checklist."))
      .finally(() => setLoaded(true));
    onCleanup(live.subscribe((event) => checklist.apply(event)));
  });

  /** Runs a write; on failure says why (the store shows the server's list again). */
  const attempt = async (run: () => Promise<unknown>, failure: string) => {
    setError("");
    try {
      await run();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 422
          ? (Object.values(err.fields)[0] ?? err.message)
          : failure,
      );
    }
  };

  const add = (e: SubmitEvent) => {
    e.preventDefault();
    const text = draft().trim();
    if (!text) return;
    if (charCount(text) > LIMITS.checklistText) return setError("An item can have at most 500 characters.");
    void attempt(async () => {
      await checklist.add(text);
      setDraft("");
    }, "Could not add the item.");
  };
  const toggle = (item: ChecklistItem) => attempt(() => checklist.toggle(item), "Could not update the item.");
  const rename = (item: ChecklistItem, text: string) =>
    attempt(async () => {
      setEditing(null);
      if (!text.trim() || text.trim() === item.text) return;
      await checklist.rename(item, text.trim());
    }, "Could not rename the item.");
  const move = (item: ChecklistItem, index: number) =>
    attempt(async () => {
      await checklist.move(item, index);
      // Keep the focus on the moved item.
      queueMicrotask(() => document.getElementById(`check-${item.id}`)?.focus());
    }, "Could not move the item.");
  const remove = (item: ChecklistItem) => attempt(() => checklist.remove(item), "Could not delete the item.");

  return (
    <section class="task-part" aria-labelledby="checklist-heading">
      <h3 id="checklist-heading">
        Checklist{" "}
        <Show when={items().length}>
          <span class="badge">
            {done()}/{items().length}
            <span class="visually-hidden"> done</span>
          </span>
        </Show>
      </h3>
      <FormError message={error()} />
      <Show when={loaded() && !items().length && !ctx.canEdit()}>
        <p class="muted">No checklist.</p>
      </Show>
      <ul class="checklist">
        <For each={items()}>
          {(item, index) => (
            <li classList={{ done: item.done }}>
              <Show
                when={editing() === item.id}
                fallback={
                  <label class="check">
                    <input
                      type="checkbox"
                      id={`check-${item.id}`}
                      checked={item.done}
                      disabled={!ctx.canEdit()}
                      onChange={() => void toggle(item)}
                    />
                    <span>{item.text}</span>
                  </label>
                }
              >
                <input
                  class="item-text-input"
                  aria-label="Item text"
                  value={item.text}
                  maxLength={LIMITS.checklistText * 2}
                  ref={(el) => queueMicrotask(() => el.focus())}
                  onKeyDown={(e) => {
                    if (e.key === "Enter") {
                      e.preventDefault();
                      void rename(item, e.currentTarget.value);
                    } else if (e.key === "Escape") {
                      e.preventDefault();
                      e.stopPropagation();
                      setEditing(null);
                    }
                  }}
                  onBlur={(e) => void rename(item, e.currentTarget.value)}
                />
              </Show>
              <Show when={ctx.canEdit() && editing() !== item.id}>
                <span class="item-actions">
                  <button
                    type="button"
                    class="btn btn-small"
                    aria-label={`Edit “${item.text}”`}
                    onClick={() => setEditing(item.id)}
                  >
                    Edit
                  </button>
                  <button
                    type="button"
                    class="btn btn-small"
                    aria-label={`Move “${item.text}” up`}
                    disabled={index() === 0}
                    onClick={() => void move(item, index() - 1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="btn btn-small"
                    aria-label={`Move “${item.text}” down`}
                    disabled={index() === items().length - 1}
                    onClick={() => void move(item, index() + 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    class="btn btn-small"
                    aria-label={`Delete “${item.text}”`}
                    onClick={() => void remove(item)}
                  >
                    Delete
                  </button>
                </span>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={ctx.canEdit()}>
        <form class="inline-form" onSubmit={add}>
          <input
            class="inline-form-input"
            id="checklist-new"
            aria-label="New checklist item"
            placeholder="Add an item"
            value={draft()}
            onInput={(e) => setDraft(e.currentTarget.value)}
          />
          <button type="submit" class="btn">
            Add
          </button>
        </form>
      </Show>
    </section>
  );
}
