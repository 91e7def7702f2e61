import { For, Show } from "solid-js";
import { PRIORITY_LABEL, type Task } from "../api/types";
import { CalendarIcon, CommentIcon, RepeatIcon } from "./Icons";

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? ""
    : date.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
}

export function isOverdue(task: Pick<Task, "dueAt" | "status">, now = Date.now()): boolean {
  return !!task.dueAt && task.status !== "done" && new Date(task.dueAt).getTime() < now - 86_400_000 / 2;
}

/** Checklist progress and comment count of a card ("3/5", "2"); nothing when there are neither. */
export function DiscussionBadges(props: {
  counts?: { checklistDone: number; checklistTotal: number; comments: number };
}) {
  return (
    <>
      <Show when={props.counts?.checklistTotal}>
        <span
          class="badge checklist-progress"
          classList={{ complete: props.counts?.checklistDone === props.counts?.checklistTotal }}
        >
          <span aria-hidden="true">☑ </span>
          <span class="visually-hidden">Checklist </span>
          {props.counts?.checklistDone}/{props.counts?.checklistTotal}
        </span>
      </Show>
      <Show when={props.counts?.comments}>
        <span class="badge comment-count">
          <CommentIcon /> {props.counts?.comments}
          <span class="visually-hidden"> {props.counts?.comments === 1 ? "comment" : "comments"}</span>
        </span>
      </Show>
    </>
  );
}

export function TaskCard(props: {
  task: Task;
  /** Checklist progress and comment count. */
  counts?: { checklistDone: number; checklistTotal: number; comments: number };
  draggable: boolean;
  assignee?: string;
  /** A label's palette colour (styles.css: .chip-<colour>); the default chip without it. */
  labelColor?: (name: string) => string;
  onOpen: () => void;
  onKeyMove: (key: "left" | "right" | "up" | "down") => void;
  onDragStart: (e: DragEvent) => void;
  onDragEnd: () => void;
}) {
  const pending = () => props.task.id.startsWith("temp-");
  return (
    <li
      class="card"
      classList={{ pending: pending() }}
      data-task-id={props.task.id}
      draggable={props.draggable && !pending()}
      onDragStart={(e) => props.onDragStart(e)}
      onDragEnd={() => props.onDragEnd()}
    >
      <button
        type="button"
        class="card-open"
        disabled={pending()}
        aria-describedby="board-help"
        onClick={() => props.onOpen()}
        onKeyDown={(e) => {
          if (!props.draggable || !e.shiftKey || e.altKey || e.ctrlKey || e.metaKey) return;
          const key = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down" }[e.key] as
            | "left"
            | "right"
            | "up"
            | "down"
            | undefined;
          if (!key) return;
          e.preventDefault();
          props.onKeyMove(key);
        }}
      >
        <span class="card-title">{props.task.title}</span>
        <span class="card-meta">
          <span class={`prio prio-${props.task.priority}`}>{PRIORITY_LABEL[props.task.priority]}</span>
          <Show when={props.task.dueAt}>
            <span class="due" classList={{ overdue: isOverdue(props.task) }}>
              <CalendarIcon />
              <span class="visually-hidden">Due </span>
              {formatDate(props.task.dueAt)}
            </span>
          </Show>
          <Show when={props.task.recurrence}>
            <span class="repeats" title="Repeats">
              <RepeatIcon />
              <span class="visually-hidden">Repeats</span>
            </span>
          </Show>
          <Show when={props.assignee}>
            <span class="assignee">
              <span class="visually-hidden">Assigned to </span>
              {props.assignee}
            </span>
          </Show>
          <DiscussionBadges counts={props.counts} />
        </span>
        <Show when={props.task.labels.length}>
          <span class="labels">
            <For each={props.task.labels}>
              {(label) => <span class={`label chip-${props.labelColor?.(label) ?? "slate"}`}>{label}</span>}
            </For>
          </span>
        </Show>
      </button>
    </li>
  );
}
