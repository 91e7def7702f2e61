// Board view: the project's own columns, drag and drop (HTML5) to move and reorder cards, Shift+arrow
// keys as the keyboard alternative, announcements in a live region. Owners add, rename, reorder (drag a
// column's header, or its Move left/right buttons) and delete columns; the column settings dialog is a
// lazy chunk. Board shortcuts: n, /, e, ? (help), Esc. The cards shown can be narrowed by title and to
// those with open checklist items.
import { createSignal, For, lazy, Match, onCleanup, onMount, Show, Suspense, Switch } from "solid-js";
import { type Column, LIMITS } from "../api/types";
import { CharCount, tooLong } from "../components/Field";
import { GearIcon, PlusIcon } from "../components/Icons";
import { BoardSkeleton, ErrorView } from "../components/States";
import { TaskCard } from "../components/TaskCard";
import { useProject } from "../stores/project";
import { errorToast } from "../stores/toast";

const ColumnSettings = lazy(() => import("./ColumnSettings"));

/** The board's keyboard shortcuts, for the help overlay. */
export const SHORTCUTS: [string, string][] = [
  ["n", "New task"],
  ["/", "Filter the cards"],
  ["e", "Edit the focused card"],
  ["Shift + ← → ↑ ↓", "Move the focused card"],
  ["Esc", "Close a dialog, clear the filter"],
  ["?", "This list"],
];

/** Index in a column where a dragged card lands, from the pointer's Y position. */
export function dropIndex(cards: { top: number; height: number }[], y: number): number {
  const index = cards.findIndex((c) => y < c.top + c.height / 2);
  return index === -1 ? cards.length : index;
}

/**
 * A key press typed into a field, with a modifier, or while a dialog is open is not a board shortcut.
 * A closed dialog does not count: right after one closes, focus may still sit on its button for a
 * moment (until the browser moves it), and an "n" pressed then is meant for the board.
 */
export const notAShortcut = (e: KeyboardEvent) => {
  const target = e.target as HTMLElement | null;
  return (
    e.ctrlKey ||
    e.metaKey ||
    e.altKey ||
    !!target?.closest("input, textarea, select, [contenteditable], dialog[open]") ||
    !!document.querySelector("dialog[open]")
  );
};

export default function Board() {
  const ctx = useProject();
  const tasks = ctx.tasks;
  const [dragging, setDragging] = createSignal<string | null>(null);
  const [draggingColumn, setDraggingColumn] = createSignal<string | null>(null);
  const [over, setOver] = createSignal<{ columnId: string; index: number } | null>(null);
  const [announcement, setAnnouncement] = createSignal("");
  const [filter, setFilter] = createSignal("");
  /** Only cards with an unticked checklist item (from the board's counts, kept live). */
  const [openOnly, setOpenOnly] = createSignal(false);
  const [settings, setSettings] = createSignal<string | null>(null);
  let helpDialog!: HTMLDialogElement;
  let filterInput!: HTMLInputElement;

  const columns = () => tasks.columns;
  const columnIndex = (id: string) => columns().findIndex((c) => c.id === id);
  const hasOpenItems = (taskId: string) => {
    const counts = ctx.counts?.of(taskId);
    return !!counts && counts.checklistDone < counts.checklistTotal;
  };
  const shown = (column: Column) => {
    const words = filter().trim().toLowerCase();
    const all = tasks.inColumn(column.id);
    if (!words && !openOnly()) return all;
    return all.filter(
      (t) => (!words || t.title.toLowerCase().includes(words)) && (!openOnly() || hasOpenItems(t.id)),
    );
  };
  const firstTodo = () => columns().find((c) => c.kind === "todo");

  /** Moves a task to `index` of a column (counted without the task), keeping keyboard focus on it. */
  const moveTo = (id: string, column: Column, index: number) => {
    const task = tasks.byId(id);
    if (!task) return;
    const others = tasks.inColumn(column.id).filter((t) => t.id !== id);
    const position = Math.max(0, Math.min(index, others.length));
    void tasks.moveToColumn(id, column.id, position);
    setAnnouncement(
      `${task.title} moved to ${column.name}, position ${position + 1} of ${others.length + 1}.`,
    );
    // The move re-rendered the card (moved or re-created in another column) and it lost focus. Give
    // it back now, not a frame later: a quick second Shift+arrow would otherwise go nowhere.
    document.querySelector<HTMLElement>(`[data-task-id="${CSS.escape(id)}"] .card-open`)?.focus();
  };

  const keyMove = (id: string, key: "left" | "right" | "up" | "down") => {
    const task = tasks.byId(id);
    if (!task) return;
    const here = columns()[columnIndex(task.columnId)];
    if (!here) return;
    const column = tasks.inColumn(here.id);
    const index = column.findIndex((t) => t.id === id);
    if (key === "up" && index > 0) moveTo(id, here, index - 1);
    if (key === "down" && index < column.length - 1) moveTo(id, here, index + 1);
    const at = columnIndex(here.id);
    const target = key === "left" ? columns()[at - 1] : key === "right" ? columns()[at + 1] : undefined;
    if (target) moveTo(id, target, index);
  };

  const reorder = (column: Column, index: number) => {
    if (index < 0 || index >= columns().length) return;
    void tasks.reorderColumn(column.id, index);
    setAnnouncement(`${column.name} moved to position ${index + 1} of ${columns().length}.`);
  };

  const onDragOver = (e: DragEvent, column: Column, list: HTMLElement) => {
    if (draggingColumn()) {
      e.preventDefault();
      return;
    }
    if (!dragging()) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
    const cards = [...list.querySelectorAll<HTMLElement>(":scope > .card:not(.dragging)")].map((el) => {
      const rect = el.getBoundingClientRect();
      return { top: rect.top, height: rect.height };
    });
    const index = dropIndex(cards, e.clientY);
    const current = over();
    if (!current || current.columnId !== column.id || current.index !== index)
      setOver({ columnId: column.id, index });
  };

  const onDrop = (e: DragEvent, column: Column) => {
    e.preventDefault();
    const movingColumn = draggingColumn();
    if (movingColumn) {
      setDraggingColumn(null);
      const moving = columns().find((c) => c.id === movingColumn);
      if (moving && moving.id !== column.id) reorder(moving, columnIndex(column.id));
      return;
    }
    const id = dragging() ?? e.dataTransfer?.getData("text/plain");
    const target = over();
    setDragging(null);
    setOver(null);
    if (!id) return;
    const task = tasks.byId(id);
    if (!task) return;
    // `over.index` counts the cards without the dragged one, as the move API does.
    const index = target && target.columnId === column.id ? target.index : tasks.inColumn(column.id).length;
    void tasks.moveToColumn(id, column.id, index);
    setAnnouncement(`${task.title} moved to ${column.name}.`);
  };

  onMount(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && document.activeElement === filterInput) {
        setFilter("");
        filterInput.blur();
        return;
      }
      if (notAShortcut(e)) return;
      if (e.key === "?") {
        e.preventDefault();
        helpDialog.showModal();
      } else if (e.key === "/") {
        e.preventDefault();
        filterInput.focus();
      } else if (e.key === "n" && ctx.canEdit()) {
        e.preventDefault();
        const column = firstTodo();
        ctx.openTask({ status: "todo", columnId: column?.id });
      } else if (e.key === "e") {
        const card = (document.activeElement as HTMLElement | null)?.closest<HTMLElement>("[data-task-id]");
        const id = card?.dataset.taskId;
        if (id && !id.startsWith("temp-")) {
          e.preventDefault();
          ctx.openTask({ taskId: id });
        }
      }
    };
    document.addEventListener("keydown", onKey);
    onCleanup(() => document.removeEventListener("keydown", onKey));
  });

  return (
    <Switch>
      <Match when={tasks.state() === "error"}>
        <ErrorView error={tasks.error()} retry={() => tasks.load()} />
      </Match>
      <Match when={tasks.state() === "loading"}>
        <BoardSkeleton />
      </Match>
      <Match when={true}>
        <p id="board-help" class="visually-hidden">
          {ctx.canEdit()
            ? "Press Enter to open, E to edit. Shift plus arrow keys move the task between columns and within a column."
            : "Press Enter to open."}
        </p>
        <p class="visually-hidden" role="status" aria-live="assertive">
          {announcement()}
        </p>
        <div class="board-tools">
          <label for="board-filter" class="visually-hidden">
            Filter cards
          </label>
          <input
            id="board-filter"
            ref={filterInput}
            type="search"
            placeholder="Filter cards (/)"
            value={filter()}
            onInput={(e) => setFilter(e.currentTarget.value)}
          />
          <div class="field-check">
            <input
              type="checkbox"
              id="board-open-checklist"
              checked={openOnly()}
              onChange={(e) => setOpenOnly(e.currentTarget.checked)}
            />
            <label for="board-open-checklist">Open checklist items</label>
          </div>
          <button type="button" class="btn btn-ghost" onClick={() => helpDialog.showModal()}>
            Shortcuts <kbd>?</kbd>
          </button>
        </div>
        <Show when={tasks.tasks.length === 0}>
          <div class="empty empty-inline">
            <h2>No tasks yet</h2>
            <p>
              {ctx.canEdit()
                ? `Add the first one to “${firstTodo()?.name ?? "To do"}”.`
                : "Nothing has been planned here yet."}
            </p>
          </div>
        </Show>
        <div class="board">
          <For each={columns()}>
            {(column) => {
              let list!: HTMLOListElement;
              const count = () => tasks.inColumn(column.id).length;
              const overLimit = () => column.wipLimit !== null && count() > column.wipLimit;
              const index = () => columnIndex(column.id);
              return (
                <section
                  class="column"
                  classList={{ "drop-target": over()?.columnId === column.id, "over-limit": overLimit() }}
                  aria-labelledby={`col-${column.id}`}
                  data-status={column.kind}
                  data-column-id={column.id}
                  onDragOver={(e) => onDragOver(e, column, list)}
                  onDragLeave={(e) => {
                    if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node)) setOver(null);
                  }}
                  onDrop={(e) => onDrop(e, column)}
                >
                  {/* biome-ignore lint/a11y/noStaticElementInteractions: dragging a header reorders columns; its Move left/right buttons are the keyboard way */}
                  <header
                    class="column-head"
                    draggable={ctx.isOwner()}
                    onDragStart={(e) => {
                      if ((e.target as HTMLElement).closest(".card")) return;
                      setDraggingColumn(column.id);
                      e.dataTransfer?.setData("text/plain", `column:${column.id}`);
                      if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
                    }}
                    onDragEnd={() => setDraggingColumn(null)}
                  >
                    <h2 id={`col-${column.id}`}>
                      {column.name}{" "}
                      <span class="count">
                        {count()}
                        {column.wipLimit !== null ? `/${column.wipLimit}` : ""}
                        <Show when={column.wipLimit !== null}>
                          <span class="visually-hidden">
                            {overLimit() ? " tasks, over the limit" : " tasks, within the limit"}
                          </span>
                        </Show>
                      </span>
                    </h2>
                    <span class="column-actions">
                      <Show when={ctx.isOwner()}>
                        <button
                          type="button"
                          class="icon-btn"
                          aria-label={`Move ${column.name} left`}
                          disabled={index() === 0}
                          onClick={() => reorder(column, index() - 1)}
                        >
                          ←
                        </button>
                        <button
                          type="button"
                          class="icon-btn"
                          aria-label={`Move ${column.name} right`}
                          disabled={index() === columns().length - 1}
                          onClick={() => reorder(column, index() + 1)}
                        >
                          →
                        </button>
                        <button
                          type="button"
                          class="icon-btn"
                          aria-label={`Column settings for ${column.name}`}
                          onClick={() => setSettings(column.id)}
                        >
                          <GearIcon />
                        </button>
                      </Show>
                      <Show when={ctx.canEdit()}>
                        <button
                          type="button"
                          class="icon-btn"
                          aria-label={`Add task to ${column.name}`}
                          onClick={() => ctx.openTask({ status: column.kind, columnId: column.id })}
                        >
                          <PlusIcon />
                        </button>
                      </Show>
                    </span>
                  </header>
                  <Show when={overLimit()}>
                    <p class="wip-warning">Over the limit of {column.wipLimit}</p>
                  </Show>
                  <Show when={column.id === firstTodo()?.id && ctx.canEdit()}>
                    <QuickAdd columnId={column.id} />
                  </Show>
                  <ol class="cards" ref={list} aria-labelledby={`col-${column.id}`}>
                    <For each={shown(column)}>
                      {(task) => (
                        <TaskCard
                          task={task}
                          counts={ctx.counts?.of(task.id)}
                          draggable={ctx.canEdit()}
                          assignee={ctx.members.nameOf(task.assigneeId)}
                          labelColor={ctx.labels.colorOf}
                          onOpen={() => ctx.openTask({ taskId: task.id })}
                          onKeyMove={(key) => keyMove(task.id, key)}
                          onDragStart={(e) => {
                            setDragging(task.id);
                            e.dataTransfer?.setData("text/plain", task.id);
                            if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
                            (e.currentTarget as HTMLElement).classList.add("dragging");
                          }}
                          onDragEnd={() => {
                            setDragging(null);
                            setOver(null);
                            for (const el of document.querySelectorAll(".card.dragging"))
                              el.classList.remove("dragging");
                          }}
                        />
                      )}
                    </For>
                  </ol>
                </section>
              );
            }}
          </For>
          <Show when={ctx.isOwner()}>
            <AddColumn />
          </Show>
        </div>
        <dialog ref={helpDialog} class="dialog help-dialog" aria-labelledby="shortcuts-title">
          <div class="dialog-head">
            <h2 id="shortcuts-title">Keyboard shortcuts</h2>
          </div>
          <dl class="shortcuts">
            <For each={SHORTCUTS}>
              {([keys, what]) => (
                <>
                  <dt>
                    <kbd>{keys}</kbd>
                  </dt>
                  <dd>{what}</dd>
                </>
              )}
            </For>
          </dl>
          <form method="dialog" class="dialog-actions">
            <button type="submit" class="btn">
              Close
            </button>
          </form>
        </dialog>
        {/* Its own boundary, as the task dialog's: loading the chunk leaves the board in place. */}
        <Suspense>
          <Show when={columns().find((c) => c.id === settings())}>
            {(column) => <ColumnSettings column={column()} onClose={() => setSettings(null)} />}
          </Show>
        </Suspense>
      </Match>
    </Switch>
  );
}

function AddColumn() {
  const ctx = useProject();
  const [name, setName] = createSignal("");
  const [error, setError] = createSignal("");
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const value = name().trim();
    if (!value) return setError("Enter a name.");
    const long = tooLong(value, LIMITS.columnName);
    if (long) return setError(long);
    setError("");
    try {
      await ctx.tasks.addColumn({ name: value });
      setName("");
    } catch (err) {
      errorToast(err, "Could not add the column");
    }
  };
  return (
    <form class="column add-column" onSubmit={submit} noValidate>
      <label for="add-column">New column</label>
      <input
        id="add-column"
        placeholder="Column name"
        value={name()}
        aria-invalid={error() ? true : undefined}
        aria-describedby={`${error() ? "add-column-error " : ""}add-column-count`}
        onInput={(e) => setName(e.currentTarget.value)}
      />
      <CharCount id="add-column-count" value={name()} max={LIMITS.columnName} />
      <Show when={error()}>
        <p id="add-column-error" class="field-error">
          {error()}
        </p>
      </Show>
      <button type="submit" class="btn">
        Add column
      </button>
    </form>
  );
}

function QuickAdd(props: { columnId: string }) {
  const ctx = useProject();
  const [title, setTitle] = createSignal("");
  const [error, setError] = createSignal("");
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const value = title().trim();
    if (!value) return setError("Enter a title.");
    const long = tooLong(value, LIMITS.taskTitle);
    if (long) return setError(long);
    setError("");
    setTitle("");
    try {
      await ctx.tasks.create({ title: value, status: "todo", columnId: props.columnId });
    } catch (err) {
      setTitle(value);
      errorToast(err, "Could not create the task");
    }
  };
  return (
    <form class="quick-add" onSubmit={submit} noValidate>
      <label for="quick-add" class="visually-hidden">
        New task title
      </label>
      <input
        id="quick-add"
        placeholder="Add a task…"
        value={title()}
        aria-invalid={error() ? true : undefined}
        aria-describedby={`${error() ? "quick-add-error " : ""}quick-add-count`}
        onInput={(e) => setTitle(e.currentTarget.value)}
      />
      <CharCount id="quick-add-count" value={title()} max={LIMITS.taskTitle} />
      <Show when={error()}>
        <p id="quick-add-error" class="field-error">
          {error()}
        </p>
      </Show>
    </form>
  );
}
