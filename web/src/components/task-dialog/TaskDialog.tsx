// The task dialog: a modal <dialog> around the task's parts: the form (TaskForm.tsx), then, for an
// existing task, its checklist, attachments, comments and activity (Checklist.tsx, Attachments.tsx,
// Comments.tsx, Activity.tsx). It holds
// which copy of the task is shown, so "Reload task" after a stale edit (409) re-creates the parts
// with the server's values, and it closes itself when the task turns out to be gone.
import { createSignal, onMount, Show } from "solid-js";
import type { Task } from "../../api/types";
import { type DialogTarget, useProject } from "../../stores/project";
import { showToast } from "../../stores/toast";
import { ConfirmDialog } from "../ConfirmDialog";
import { CloseIcon } from "../Icons";
import { TaskActivity } from "./Activity";
import { Attachments } from "./Attachments";
import { Checklist } from "./Checklist";
import { Comments } from "./Comments";
import { TaskForm } from "./TaskForm";

export default function TaskDialog(props: { target: DialogTarget; onClose: () => void }) {
  const ctx = useProject();
  let dialog!: HTMLDialogElement;
  const existing = props.target.taskId ? ctx.tasks.byId(props.target.taskId) : undefined;
  const [task, setTask] = createSignal<Task | undefined>(existing ? { ...existing } : undefined);
  const isNew = !props.target.taskId;

  onMount(() => {
    if (typeof dialog.showModal === "function" && !dialog.open) dialog.showModal();
    else dialog.setAttribute("open", "");
  });
  const close = () => {
    if (dialog.open) dialog.close();
    props.onClose();
  };
  const gone = () => {
    showToast("This task no longer exists.", { kind: "error" });
    close();
  };

  const [confirming, setConfirming] = createSignal(false);
  const remove = () => {
    const current = task();
    if (!current) return;
    close();
    ctx.tasks.remove(current.id);
  };
  const archive = () => {
    const current = task();
    if (!current) return;
    close();
    void ctx.tasks.archive(current.id);
  };
  const reload = async () => {
    const current = task();
    if (!current) return;
    try {
      setTask({ ...(await ctx.tasks.reload(current.id)) } as Task);
    } catch {
      gone();
    }
  };

  return (
    <dialog
      ref={dialog}
      class="dialog"
      aria-labelledby="task-dialog-title"
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
    >
      {/* Keyed on the task copy: a reload re-creates the form with the server's values. */}
      <Show when={task() || isNew} keyed>
        {(_copy) => (
          <TaskForm
            task={task()}
            status={props.target.status}
            columnId={props.target.columnId}
            head={
              <div class="dialog-head">
                <h2 id="task-dialog-title">{isNew ? "New task" : ctx.canEdit() ? "Edit task" : "Task"}</h2>
                <button type="button" class="icon-btn" aria-label="Close" onClick={close}>
                  <CloseIcon />
                </button>
              </div>
            }
            onReload={reload}
            onDelete={() => setConfirming(true)}
            onArchive={archive}
            onGone={gone}
            onClose={close}
          />
        )}
      </Show>
      <Show when={props.target.taskId}>
        {(taskId) => (
          <div class="task-parts">
            <Checklist taskId={taskId()} />
            <Attachments taskId={taskId()} dropTarget={() => dialog} />
            <Comments taskId={taskId()} />
            <TaskActivity taskId={taskId()} projectId={ctx.project().id} />
          </div>
        )}
      </Show>
      <Show when={confirming()}>
        <ConfirmDialog
          title={`Delete “${task()?.title ?? ""}”?`}
          message="The task is deleted for every member. To keep it out of the way instead, archive it."
          confirmLabel="Delete task"
          onConfirm={remove}
          onClose={() => setConfirming(false)}
        />
      </Show>
    </dialog>
  );
}
