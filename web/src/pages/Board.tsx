// Board view: three columns, drag and drop (HTML5) to move and reorder, Shift+arrow keys as the
// keyboard alternative, announcements in a live region.
import { createSignal, For, Match, Show, Switch } from "solid-js";
import { LIMITS, STATUS_LABEL, STATUSES, type Status } from "../api/types";
import { CharCount, tooLong } from "../components/Field";
import { PlusIcon } from "../components/Icons";
import { BoardSkeleton, ErrorView } from "../components/States";
import { TaskCard } from "../components/TaskCard";
import { useProject } from "../stores/project";
import { errorToast } from "../stores/toast";

/** Index in `status`'s column where a dragged card lands, from the pointer's Y position. */
export function dropIndex(cards: { top: number; height: number }[], y: number): number {
  const index = cards.findIndex((c) => y < c.top + c.height / 2);
  return index === -1 ? cards.length : index;
}

export default function Board() {
  const ctx = useProject();
  const tasks = ctx.tasks;
  const [dragging, setDragging] = createSignal<string | null>(null);
  const [over, setOver] = createSignal<{ status: Status; index: number } | null>(null);
  const [announcement, setAnnouncement] = createSignal("");

  /** Moves a task to `index` of `status` (counted without the task), keeping keyboard focus on it. */
  const moveTo = (id: string, status: Status, index: number) => {
    const task = tasks.byId(id);
    if (!task) return;
    const others = tasks.column(status).filter((t) => t.id !== id);
    const position = Math.max(0, Math.min(index, others.length));
    void tasks.move(id, status, position);
    setAnnouncement(
      `${task.title} moved to ${STATUS_LABEL[status]}, position ${position + 1} of ${others.length + 1}.`,
    );
    // The move re-rendered the card (moved or re-created in another column) and it lost focus. Give
    // it back now, not a frame later: a quick second Shift+arrow would otherwise go nowhere.
    document.querySelector<HTMLElement>(`[data-task-id="${CSS.escape(id)}"] .card-open`)?.focus();
  };

  const keyMove = (id: string, key: "left" | "right" | "up" | "down") => {
    const task = tasks.byId(id);
    if (!task) return;
    const column = tasks.column(task.status);
    const index = column.findIndex((t) => t.id === id);
    if (key === "up" && index > 0) moveTo(id, task.status, index - 1);
    if (key === "down" && index < column.length - 1) moveTo(id, task.status, index + 1);
    const col = STATUSES.indexOf(task.status);
    const target = key === "left" ? STATUSES[col - 1] : key === "right" ? STATUSES[col + 1] : undefined;
    if (target) moveTo(id, target, index);
  };

  const onDragOver = (e: DragEvent, status: Status, list: HTMLElement) => {
    if (!dragging()) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
    const cards = [...list.querySelectorAll<HTMLElement>(":scope > .card:not(.dragging)")].map((el) => {
      const rect = el.getBoundingClientRect();
      return { top: rect.top, height: rect.height };
    });
    const index = dropIndex(cards, e.clientY);
    const current = over();
    if (!current || current.status !== status || current.index !== index) setOver({ status, index });
  };

  const onDrop = (e: DragEvent, status: Status) => {
    e.preventDefault();
    const id = dragging() ?? e.dataTransfer?.getData("text/plain");
    const target = over();
    setDragging(null);
    setOver(null);
    if (!id) return;
    const task = tasks.byId(id);
    if (!task) return;
    // `over.index` counts the cards without the dragged one, as the move API does.
    const index = target && target.status === status ? target.index : tasks.column(status).length;
    void tasks.move(id, status, index);
    setAnnouncement(`${task.title} moved to ${STATUS_LABEL[status]}.`);
  };

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
            ? "Press Enter to open. Shift plus arrow keys move the task between columns and within a column."
            : "Press Enter to open."}
        </p>
        <p class="visually-hidden" role="status" aria-live="assertive">
          {announcement()}
        </p>
        <Show when={tasks.tasks.length === 0}>
          <div class="empty empty-inline">
            <h2>No tasks yet</h2>
            <p>{ctx.canEdit() ? "Add the first one to “To do”." : "Nothing has been planned here yet."}</p>
          </div>
        </Show>
        <div class="board">
          <For each={STATUSES}>
            {(status) => {
              let list!: HTMLOListElement;
              const column = () => tasks.column(status);
              return (
                <section
                  class="column"
                  classList={{ "drop-target": over()?.status === status }}
                  aria-labelledby={`col-${status}`}
                  data-status={status}
                  onDragOver={(e) => onDragOver(e, status, list)}
                  onDragLeave={(e) => {
                    if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node)) setOver(null);
                  }}
                  onDrop={(e) => onDrop(e, status)}
                >
                  <header class="column-head">
                    <h2 id={`col-${status}`}>
                      {STATUS_LABEL[status]} <span class="count">{column().length}</span>
                    </h2>
                    <Show when={ctx.canEdit()}>
                      <button
                        type="button"
                        class="icon-btn"
                        aria-label={`Add task to ${STATUS_LABEL[status]}`}
                        onClick={() => ctx.openTask({ status })}
                      >
                        <PlusIcon />
                      </button>
                    </Show>
                  </header>
                  <Show when={status === "todo" && ctx.canEdit()}>
                    <QuickAdd />
                  </Show>
                  <ol class="cards" ref={list} aria-labelledby={`col-${status}`}>
                    <For each={column()}>
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
        </div>
      </Match>
    </Switch>
  );
}

function QuickAdd() {
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
      await ctx.tasks.create({ title: value, status: "todo" });
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
