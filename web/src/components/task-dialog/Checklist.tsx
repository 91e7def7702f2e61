// The task's checklist in the dialog: progress, tick (everyone who may edit), add, edit, reorder
// (Move up / Move down buttons: keyboard-friendly), delete. Live: another member's change replaces the
// list (checklist.changed carries the whole checklist).
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { discussionApi } from "../../api/discussion";
import { live } from "../../api/events";
import { ApiError } from "../../api/http";
import { type ChecklistItem, LIMITS } from "../../api/types";
import { useProject } from "../../stores/project";
import { charCount } from "../Field";

export function Checklist(props: { taskId: string }) {
  const ctx = useProject();
  const [items, setItems] = createSignal<ChecklistItem[]>([]);
  const [loaded, setLoaded] = createSignal(false);
  const [draft, setDraft] = createSignal("");
  const [editing, setEditing] = createSignal<string | null>(null);
  const [error, setError] = createSignal("");
  const done = () => items().filter((item) => item.done).length;

  const show = (next: ChecklistItem[]) => {
    setItems(next);
    ctx.counts?.setChecklist(props.taskId, next);
  };
  const refresh = async () => show((await discussionApi.checklist(props.taskId)).items);
  onMount(() => {
    void refresh()
      .catch(() => setError("Could not load the checklist."))
      .finally(() => setLoaded(true));
    const off = live.subscribe((event) => {
      if (event.type === "checklist.changed" && event.taskId === props.taskId) setItems(event.items);
    });
    onCleanup(off);
  });

  /** Runs a write; on failure says why and shows the server's list again. */
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
      await refresh().catch(() => {});
    }
  };

  const add = (e: SubmitEvent) => {
    e.preventDefault();
    const text = draft().trim();
    if (!text) return;
    if (charCount(text) > LIMITS.checklistText) return setError("An item can have at most 500 characters.");
    void attempt(async () => {
      const item = await discussionApi.addItem(props.taskId, text);
      setDraft("");
      if (!items().some((each) => each.id === item.id)) show([...items(), item]);
    }, "Could not add the item.");
  };
  const toggle = (item: ChecklistItem) =>
    attempt(async () => {
      show(items().map((each) => (each.id === item.id ? { ...each, done: !item.done } : each)));
      await discussionApi.updateItem(props.taskId, item.id, { done: !item.done });
    }, "Could not update the item.");
  const rename = (item: ChecklistItem, text: string) =>
    attempt(async () => {
      setEditing(null);
      if (!text.trim() || text.trim() === item.text) return;
      const saved = await discussionApi.updateItem(props.taskId, item.id, { text: text.trim() });
      show(items().map((each) => (each.id === item.id ? saved : each)));
    }, "Could not rename the item.");
  const move = (item: ChecklistItem, index: number) =>
    attempt(async () => {
      show((await discussionApi.moveItem(props.taskId, item.id, index)).items);
      // Keep the focus on the moved item's button that was used.
      queueMicrotask(() => document.getElementById(`check-${item.id}`)?.focus());
    }, "Could not move the item.");
  const remove = (item: ChecklistItem) =>
    attempt(async () => {
      show(items().filter((each) => each.id !== item.id));
      await discussionApi.deleteItem(props.taskId, item.id);
    }, "Could not delete the item.");

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
      <Show when={error()}>
        <p class="form-error" role="alert">
          {error()}
        </p>
      </Show>
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
