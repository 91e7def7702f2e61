// Tasks of one project for the board: optimistic create/update/move/delete with rollback, delete
// with undo (the DELETE is sent when the undo window closes), and live events merged in.
import { createSignal } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import { ApiError, allPages, api } from "../api/client";
import type { LiveEvent, Status, Task, TaskInput } from "../api/types";
import { STATUSES } from "../api/types";
import { errorToast, showToast } from "./toast";

export const UNDO_MS = 5000;

export interface TasksStore {
  tasks: Task[];
  state: () => "loading" | "ready" | "error";
  error: () => unknown;
  load(): Promise<void>;
  column(status: Status): Task[];
  byId(id: string): Task | undefined;
  create(input: TaskInput & { title: string }): Promise<Task | undefined>;
  /** `baseVersion`: the version the user edited (a stale one gives 409 and rolls back). */
  update(id: string, patch: TaskInput, baseVersion?: number): Promise<Task>;
  move(id: string, status: Status, position: number): Promise<void>;
  remove(id: string): void;
  reload(id: string): Promise<Task | undefined>;
  apply(event: LiveEvent): void;
  flush(): void;
}

const byPosition = (a: Task, b: Task) => a.position - b.position || a.createdAt.localeCompare(b.createdAt);

/** Puts `task` at `index` of its column and renumbers both affected columns 0..n. */
function place(list: Task[], task: Task, index: number): void {
  const from = list.findIndex((t) => t.id === task.id);
  const previous = from >= 0 ? list[from] : undefined;
  if (from >= 0) list.splice(from, 1);
  const column = list.filter((t) => t.status === task.status).sort(byPosition);
  const at = Math.max(0, Math.min(index, column.length));
  column.splice(at, 0, task);
  column.forEach((t, i) => {
    t.position = i;
  });
  list.push(task);
  if (previous && previous.status !== task.status) {
    list
      .filter((t) => t.status === previous.status)
      .sort(byPosition)
      .forEach((t, i) => {
        t.position = i;
      });
  }
}

export function createTasksStore(projectId: string, client = api): TasksStore {
  const [tasks, setTasks] = createStore<Task[]>([]);
  const [state, setState] = createSignal<"loading" | "ready" | "error">("loading");
  const [error, setError] = createSignal<unknown>();
  const pendingDeletes = new Map<string, { task: Task; toast: number }>();
  let tempId = 0;

  const snapshot = () => tasks.map((t) => ({ ...t, labels: [...t.labels] }));
  const restore = (saved: Task[]) => setTasks(reconcile(saved, { key: "id" }));
  const upsert = (task: Task) =>
    setTasks(
      produce((list) => {
        if (pendingDeletes.has(task.id)) return;
        const index = list.findIndex((t) => t.id === task.id);
        const current = index >= 0 ? list[index] : undefined;
        if (current && current.version > task.version) return;
        if (current && (current.status !== task.status || current.position !== task.position)) {
          place(list, { ...task }, task.position);
        } else if (current) {
          list[index] = { ...task };
        } else {
          place(list, { ...task }, task.position);
        }
      }),
    );
  const drop = (id: string) => setTasks((list) => list.filter((t) => t.id !== id));

  const sendDelete = (id: string, keepalive = false) => {
    const pending = pendingDeletes.get(id);
    if (!pending) return;
    pendingDeletes.delete(id);
    client.deleteTask(id, keepalive).catch((e) => {
      if (e instanceof ApiError && e.status === 404) return;
      upsert(pending.task);
      errorToast(e, "Could not delete the task");
    });
  };

  const store: TasksStore = {
    tasks,
    state,
    error,
    async load() {
      try {
        const items = await allPages((cursor) =>
          client.tasks({ projectId, sort: "position", limit: "100", cursor }),
        );
        setTasks(
          reconcile(
            items.filter((t) => !pendingDeletes.has(t.id)),
            { key: "id" },
          ),
        );
        setState("ready");
      } catch (e) {
        setError(e);
        setState("error");
      }
    },
    column: (status) => tasks.filter((t) => t.status === status).sort(byPosition),
    byId: (id) => tasks.find((t) => t.id === id),
    async create(input) {
      const now = new Date().toISOString();
      const status = input.status ?? "todo";
      const temp: Task = {
        id: `temp-${++tempId}`,
        projectId,
        title: input.title,
        description: input.description ?? null,
        status,
        priority: input.priority ?? "medium",
        dueAt: input.dueAt ?? null,
        labels: input.labels ?? [],
        assigneeId: input.assigneeId ?? null,
        position: tasks.filter((t) => t.status === status).length,
        version: 0,
        createdAt: now,
        updatedAt: now,
        completedAt: null,
      };
      setTasks((list) => [...list, temp]);
      try {
        const task = await client.createTask({ ...input, projectId });
        drop(temp.id);
        upsert(task);
        return task;
      } catch (e) {
        drop(temp.id);
        throw e;
      }
    },
    async update(id, patch, baseVersion) {
      const before = tasks.find((t) => t.id === id);
      if (!before) throw new ApiError(404, "not_found", "This task no longer exists.");
      const saved = snapshot();
      setTasks((t) => t.id === id, { ...patch });
      try {
        const task = await client.updateTask(id, patch, baseVersion ?? before.version);
        setTasks((t) => t.id === id, task);
        upsert(task);
        return task;
      } catch (e) {
        restore(saved);
        throw e;
      }
    },
    async move(id, status, position) {
      const task = tasks.find((t) => t.id === id);
      if (!task || (task.status === status && task.position === position)) return;
      const saved = snapshot();
      setTasks(produce((list) => place(list, { ...task, status }, position)));
      try {
        const moved = await client.moveTask(id, status, position);
        setTasks((t) => t.id === id, {
          version: moved.version,
          updatedAt: moved.updatedAt,
          completedAt: moved.completedAt,
        });
      } catch (e) {
        restore(saved);
        errorToast(e, "Could not move the task");
      }
    },
    remove(id) {
      const task = tasks.find((t) => t.id === id);
      if (!task) return;
      const copy = { ...task, labels: [...task.labels] };
      drop(id);
      const toast = showToast(`Deleted “${task.title}”`, {
        timeout: UNDO_MS,
        action: {
          label: "Undo",
          run: () => {
            pendingDeletes.delete(id);
            upsert(copy);
          },
        },
        onExpire: () => sendDelete(id),
      });
      pendingDeletes.set(id, { task: copy, toast });
    },
    async reload(id) {
      try {
        const task = await client.task(id);
        setTasks(
          produce((list) => {
            const index = list.findIndex((t) => t.id === id);
            if (index >= 0) list[index] = task;
            else list.push(task);
          }),
        );
        return task;
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) drop(id);
        throw e;
      }
    },
    apply(event) {
      if (event.type === "resync") return void store.load();
      if (event.projectId && event.projectId !== projectId) return;
      const task = event.task;
      switch (event.type) {
        case "task.created":
        case "task.updated":
        case "task.moved":
          if (task && task.projectId === projectId) upsert(task);
          break;
        case "task.deleted": {
          const id = task?.id;
          if (id) drop(id);
          break;
        }
      }
    },
    flush() {
      for (const id of [...pendingDeletes.keys()]) sendDelete(id, true);
    },
  };
  return store;
}

export { STATUSES };
