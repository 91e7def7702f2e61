// Activity history: who changed what and when, newest first, a page at a time. Used by the task dialog
// (one task; refreshed when a live event touches it) and the project's Activity page.
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { live } from "../../api/events";
import { type Activity, PRIORITY_LABEL, type Priority, STATUS_LABEL, type Status } from "../../api/types";
import { createActivityStore } from "../../stores/discussion";
import { useProject } from "../../stores/project";
import { relativeTime } from "../relative-time";

const FIELD_LABEL: Record<string, string> = {
  title: "title",
  description: "description",
  status: "status",
  priority: "priority",
  dueAt: "due date",
  labels: "labels",
  assigneeId: "assignee",
  column: "column",
  recurrence: "repeat",
};

/** One entry as a sentence (without the actor). */
export function describeActivity(entry: Activity, nameOf: (id: string | null) => string | undefined): string {
  const data = entry.data as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const show = (field: string, value: unknown): string => {
    if (value === null || value === undefined || value === "") return "none";
    if (field === "status") return STATUS_LABEL[value as Status] ?? String(value);
    if (field === "priority") return PRIORITY_LABEL[value as Priority] ?? String(value);
    if (field === "assigneeId") return nameOf(String(value)) ?? "a former member";
    if (field === "dueAt") return new Date(String(value)).toLocaleDateString(undefined, { timeZone: "UTC" });
    if (field === "labels") return (value as string[]).join(", ") || "none";
    if (field === "recurrence") return (value as { rule?: string }).rule ?? "none";
    const shown = String(value);
    return `“${shown.length > 60 ? `${shown.slice(0, 59)}…` : shown}”`;
  };
  const taskCount = (value: unknown) => {
    const n = typeof value === "number" ? value : 0;
    return n === 1 ? "1 task" : `${n} tasks`;
  };
  switch (entry.kind) {
    case "task.created":
      return `created the task “${text(data.title)}”`;
    case "task.deleted":
      return `deleted the task “${text(data.title)}”`;
    case "task.archived":
      return `archived the task “${text(data.title)}”`;
    case "task.restored":
      return `restored the task “${text(data.title)}”`;
    case "task.recurred":
      return `completed the task; it repeats, next due ${show("dueAt", data.dueAt)}`;
    case "project.archived":
      return "archived the project";
    case "project.restored":
      return "restored the project";
    case "project.imported":
      return `imported the project from Trello (“${text(data.board)}”, ${taskCount(data.tasks)})`;
    case "label.renamed":
      return `renamed the label “${text(data.from)}” to “${text(data.to)}” (${taskCount(data.tasks)})`;
    case "label.deleted":
      return `deleted the label “${text(data.name)}” (${taskCount(data.tasks)})`;
    case "task.moved": {
      // Entries since columns name them ({id, name}); older ones have the statuses only.
      const column = (value: unknown) =>
        (value as { id?: string; name?: string } | null | undefined) ?? undefined;
      const from = column(data.fromColumn);
      const to = column(data.toColumn);
      if (to?.id) {
        return from?.id === to.id
          ? `reordered the task in ${show("column", to.name)}`
          : `moved the task from ${from ? show("column", from.name) : show("status", data.from)} to ${show("column", to.name)}`;
      }
      return data.from === data.to
        ? `reordered the task in ${show("status", data.to)}`
        : `moved the task from ${show("status", data.from)} to ${show("status", data.to)}`;
    }
    case "task.updated": {
      const changes = (data.changes ?? {}) as Record<string, { from: unknown; to: unknown }>;
      return `changed ${Object.entries(changes)
        .map(([field, { from, to }]) =>
          field === "description"
            ? "the description"
            : `${FIELD_LABEL[field] ?? field} from ${show(field, from)} to ${show(field, to)}`,
        )
        .join("; ")}`;
    }
    case "checklist.added":
      return `added “${text(data.text)}” to the checklist`;
    case "checklist.edited":
      return `renamed checklist item “${text(data.from)}” to “${text(data.to)}”`;
    case "checklist.checked":
      return `checked “${text(data.text)}”`;
    case "checklist.unchecked":
      return `unchecked “${text(data.text)}”`;
    case "checklist.reordered":
      return `reordered “${text(data.text)}” in the checklist`;
    case "checklist.deleted":
      return `removed “${text(data.text)}” from the checklist`;
    case "comment.added":
      return "commented";
    case "comment.edited":
      return "edited a comment";
    case "comment.deleted":
      return "deleted a comment";
    case "attachment.added":
      return `attached “${text(data.name)}”`;
    case "attachment.deleted":
      return `removed the attachment “${text(data.name)}”`;
  }
}

export function ActivityList(props: { taskId?: string; projectId: string; showTask?: boolean }) {
  const ctx = useProject();
  const activity = createActivityStore({ projectId: props.projectId, taskId: props.taskId });
  const entries = activity.entries;
  const [error, setError] = createSignal("");
  const reload = async () => {
    try {
      await activity.reload();
      setError("");
    } catch {
      setError("Could not load the activity.");
    }
  };
  const more = async () => {
    try {
      await activity.more();
    } catch {
      setError("Could not load more activity.");
    }
  };
  onMount(() => {
    void reload();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = live.subscribe((event) => {
      if (event.projectId !== props.projectId) return;
      if (props.taskId) {
        const about =
          "taskId" in event
            ? event.taskId
            : "comment" in event
              ? event.comment.taskId
              : "attachment" in event
                ? event.attachment.taskId
                : "task" in event
                  ? event.task.id
                  : undefined;
        if (about !== props.taskId) return;
      }
      // Bursts (a drag, several ticks) reload once.
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), 300);
    });
    onCleanup(() => {
      off();
      clearTimeout(timer);
    });
  });
  const taskTitle = (entry: Activity) =>
    entry.taskId ? ctx.tasks.byId(entry.taskId)?.title : (entry.data as { title?: string }).title;

  return (
    <>
      <Show when={error()}>
        <p class="form-error" role="alert">
          {error()}
        </p>
      </Show>
      <ol class="activity">
        <For each={entries()} fallback={<li class="muted">No activity yet.</li>}>
          {(entry) => (
            <li>
              <strong>{ctx.members.nameOf(entry.actorId) ?? entry.actorName ?? "Someone"}</strong>{" "}
              {describeActivity(entry, (id) => ctx.members.nameOf(id))}
              <Show when={props.showTask && entry.kind !== "task.deleted" && taskTitle(entry)}>
                {(title) => (
                  <>
                    {" "}
                    on{" "}
                    <Show when={entry.taskId} fallback={<>“{title()}”</>}>
                      <button
                        type="button"
                        class="link"
                        onClick={() => ctx.openTask({ taskId: entry.taskId ?? "" })}
                      >
                        {title()}
                      </button>
                    </Show>
                  </>
                )}
              </Show>{" "}
              <time
                class="muted"
                datetime={entry.createdAt}
                title={new Date(entry.createdAt).toLocaleString()}
              >
                {relativeTime(entry.createdAt)}
              </time>
            </li>
          )}
        </For>
      </ol>
      <Show when={activity.hasMore()}>
        <button type="button" class="btn btn-small" onClick={() => void more()}>
          Show older activity
        </button>
      </Show>
    </>
  );
}

export function TaskActivity(props: { taskId: string; projectId: string }) {
  return (
    <section class="task-part" aria-labelledby="activity-heading">
      <h3 id="activity-heading">Activity</h3>
      <ActivityList taskId={props.taskId} projectId={props.projectId} />
    </section>
  );
}
