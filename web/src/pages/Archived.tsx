// A project's archived tasks: restore (editors) or delete for good (owners, after a confirmation).
// Loaded lazily; refreshed when a task of the project is archived, restored or deleted by anyone.
import { createResource, createSignal, For, Match, onCleanup, Show, Switch } from "solid-js";
import { live } from "../api/events";
import { allPages } from "../api/http";
import { tasksApi } from "../api/tasks";
import type { Task } from "../api/types";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { RowsSkeleton } from "../components/States";
import { formatDate } from "../components/TaskCard";
import { useProject } from "../stores/project";
import { errorToast, showToast } from "../stores/toast";

export default function Archived() {
  const ctx = useProject();
  const projectId = ctx.project().id;
  const [tasks, { refetch, mutate }] = createResource(() =>
    allPages((cursor) =>
      tasksApi.tasks({ projectId, archived: "true", sort: "-updatedAt", limit: "100", cursor }),
    ),
  );
  const off = live.subscribe((event) => {
    if (event.projectId !== projectId && event.type !== "resync") return;
    if (["task.archived", "task.restored", "task.deleted", "resync"].includes(event.type)) void refetch();
  });
  onCleanup(off);
  const [deleting, setDeleting] = createSignal<Task | null>(null);
  const without = (id: string) => mutate((list) => (list ?? []).filter((task) => task.id !== id));

  const restore = async (task: Task) => {
    try {
      await tasksApi.restoreTask(task.id);
      without(task.id);
      showToast(`Restored “${task.title}” to the board.`, { kind: "success" });
    } catch (e) {
      errorToast(e, "Could not restore the task");
    }
  };
  const remove = async (task: Task) => {
    try {
      await tasksApi.deleteTask(task.id);
      without(task.id);
      showToast(`Deleted “${task.title}”.`, { kind: "success" });
    } catch (e) {
      errorToast(e, "Could not delete the task");
    }
  };

  return (
    <section class="panel" aria-labelledby="archived-heading">
      <h2 id="archived-heading">Archived tasks</h2>
      <Switch>
        <Match when={tasks.error}>
          <p class="muted">
            Could not load the archived tasks.{" "}
            <button type="button" class="link" onClick={() => refetch()}>
              Retry
            </button>
          </p>
        </Match>
        <Match when={tasks.state !== "ready" && !tasks.latest}>
          <RowsSkeleton rows={3} />
        </Match>
        <Match when={(tasks.latest ?? []).length === 0}>
          <p class="muted">Nothing is archived. Archive a task from its dialog to keep it off the board.</p>
        </Match>
        <Match when={true}>
          <ul class="archived-list">
            <For each={tasks.latest}>
              {(task) => (
                <li class="archived-item">
                  <span>
                    <span class="card-title">{task.title}</span>{" "}
                    <span class="muted">archived {formatDate(task.archivedAt)}</span>
                  </span>
                  <span class="row">
                    <Show when={ctx.canEdit()}>
                      <button
                        type="button"
                        class="btn btn-small"
                        aria-label={`Restore “${task.title}”`}
                        onClick={() => restore(task)}
                      >
                        Restore
                      </button>
                    </Show>
                    <Show when={ctx.canEdit() && ctx.isOwner()}>
                      <button
                        type="button"
                        class="btn btn-small btn-danger"
                        aria-label={`Delete “${task.title}”`}
                        onClick={() => setDeleting(task)}
                      >
                        Delete
                      </button>
                    </Show>
                  </span>
                </li>
              )}
            </For>
          </ul>
        </Match>
      </Switch>
      <Show when={deleting()} keyed>
        {(task) => (
          <ConfirmDialog
            title={`Delete “${task.title}”?`}
            message="The task is deleted for every member. This cannot be undone."
            confirmLabel="Delete task"
            onConfirm={() => remove(task)}
            onClose={() => setDeleting(null)}
          />
        )}
      </Show>
    </section>
  );
}
