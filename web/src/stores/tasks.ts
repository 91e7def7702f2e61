// Tasks of one project for the board: optimistic create/update/move/delete with rollback, delete
// with undo (the DELETE is sent when the undo window closes), and live events merged in.
import { createSignal } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import { ApiError, allPages, isTemporary } from "../api/http";
import { tasksApi } from "../api/tasks";
import type { LiveEvent, Status, Task, TaskInput } from "../api/types";
import { STATUSES } from "../api/types";
import { errorToast, showToast } from "./toast";

export const UNDO_MS = 5000;

export interface TasksStore {
  tasks: Task[];
  state: () => "loading" | "ready" | "error";
  error: () => unknown;
  /** Fetches the board; `attempt` counts the retries of a failed reload. */
  load(attempt?: number): Promise<void>;
  column(status: Status): Task[];
  byId(id: string): Task | undefined;
  create(input: TaskInput & { title: string }): Promise<Task | undefined>;
  /** `baseVersion`: the version the user edited (a stale one gives 409 and rolls back). */
  update(id: string, patch: TaskInput, baseVersion?: number): Promise<Task>;
  /** Moves to `index` (0-based, counted without the task) of `status`'s column. */
  move(id: string, status: Status, index: number): Promise<void>;
  remove(id: string): void;
  /** Takes the task off the board at once and archives it; a toast offers Undo (restore). */
  archive(id: string): Promise<void>;
  reload(id: string): Promise<Task | undefined>;
  apply(event: LiveEvent): void;
  flush(): void;
}

/** Board order: the server's `position` is an opaque sort key (gaps, fractions), ties by id. */
export const byPosition = (a: Task, b: Task) =>
  a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const GAP = 1024;

/** A sort key that puts a task at `index` of `column` (which must not contain the task itself). */
export function positionAt(column: Task[], index: number): number {
  const at = Math.max(0, Math.min(index, column.length));
  const before = column[at - 1]?.position;
  const after = column[at]?.position;
  if (before === undefined && after === undefined) return GAP;
  if (before === undefined) return (after as number) - GAP;
  if (after === undefined) return before + GAP;
  return (before + after) / 2;
}

/** A reload of a board on screen (resync, reconnect) that fails is tried again this many times, backing off. */
const RELOAD_ATTEMPTS = 5;

export function createTasksStore(projectId: string, client = tasksApi, reloadRetryMs = 1000): TasksStore {
  const [tasks, setTasks] = createStore<Task[]>([]);
  const [state, setState] = createSignal<"loading" | "ready" | "error">("loading");
  const [error, setError] = createSignal<unknown>();
  const pendingDeletes = new Map<string, { task: Task; toast: number }>();
  // Requests of ours about one task go out one after another, so the server applies them in the
  // user's order. Until the last one ends the card shows the optimistic result, and `server` keeps
  // the newest copy the server sent (answers and live events); the card then settles on it, which
  // is the server's answer on success and a rollback to what the server has on failure.
  const inflight = new Map<string, { count: number; server: Task; queue: Promise<unknown> }>();
  /** The last create sent: the next one waits for it. */
  let creates: Promise<unknown> = Promise.resolve();
  let tempId = 0;

  const copy = (task: Task): Task => ({ ...task, labels: [...task.labels] });
  const settle = (task: Task) =>
    setTasks(
      produce((list) => {
        const current = list.find((t) => t.id === task.id);
        if (current && current.version <= task.version) Object.assign(current, task);
      }),
    );
  /** Shows `change` at once; sends `request` when the task's earlier requests have ended. */
  const send = async (task: Task, change: Partial<Task>, request: () => Promise<Task>): Promise<Task> => {
    const entry = inflight.get(task.id) ?? { count: 0, server: copy(task), queue: Promise.resolve() };
    inflight.set(task.id, entry);
    entry.count += 1;
    setTasks((t) => t.id === task.id, change);
    const result = entry.count === 1 ? request() : entry.queue.then(request);
    entry.queue = result.catch(() => {});
    try {
      const answer = await result;
      if (answer.version >= entry.server.version) entry.server = copy(answer);
      return answer;
    } finally {
      entry.count -= 1;
      if (entry.count === 0) {
        inflight.delete(task.id);
        settle(entry.server);
      }
    }
  };

  const upsert = (task: Task) => {
    const held = inflight.get(task.id);
    // Not shown (deleted, then Undo): put it back now rather than when our requests end.
    if (held && tasks.some((t) => t.id === task.id)) {
      if (task.version >= held.server.version) held.server = copy(task);
      return;
    }
    setTasks(
      produce((list) => {
        if (pendingDeletes.has(task.id)) return;
        const current = list.find((t) => t.id === task.id);
        if (current && current.version > task.version) return;
        if (current) Object.assign(current, task);
        else list.push({ ...task });
      }),
    );
  };
  const drop = (id: string) => setTasks((list) => list.filter((t) => t.id !== id));
  /** The server's task takes over its placeholder's object, so the card's DOM node (and focus) stays. */
  const adopt = (placeholderId: string, task: Task) => {
    if (tasks.some((t) => t.id === task.id)) return drop(placeholderId);
    if (!tasks.some((t) => t.id === placeholderId)) return upsert(task);
    setTasks((t) => t.id === placeholderId, { ...task });
  };

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
    async load(attempt = 0) {
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
        // A board on screen stays while a reload fails for a moment (a deploy: the proxy answers 502
        // for a few seconds), instead of giving way to an error page; the reload is tried again.
        if (state() === "ready" && isTemporary(e) && attempt < RELOAD_ATTEMPTS) {
          setTimeout(() => void store.load(attempt + 1), reloadRetryMs * 2 ** attempt);
          return;
        }
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
        description: input.description ?? "",
        status,
        priority: input.priority ?? "medium",
        dueAt: input.dueAt ?? null,
        labels: input.labels ?? [],
        assigneeId: input.assigneeId ?? null,
        position: positionAt(store.column(status), Number.MAX_SAFE_INTEGER),
        version: 0,
        createdAt: now,
        updatedAt: now,
        completedAt: null,
        archivedAt: null,
      };
      // The store owns `temp` from here on (adopt() may rewrite its id): keep the placeholder id apart.
      const placeholderId = temp.id;
      setTasks((list) => [...list, temp]);
      // Creates go one after another, so the server appends them in the order they were made (a form
      // used twice in a row): sent together, the second could land above the first.
      const request = creates.then(() => client.createTask({ ...input, projectId }));
      creates = request.catch(() => {});
      try {
        const task = await request;
        adopt(placeholderId, task);
        return task;
      } catch (e) {
        drop(placeholderId);
        throw e;
      }
    },
    async update(id, patch, baseVersion) {
      const before = tasks.find((t) => t.id === id);
      if (!before) throw new ApiError(404, "not_found", "This task no longer exists.");
      const version = baseVersion ?? before.version;
      return send(before, patch, () => client.updateTask(id, patch, version));
    },
    async move(id, status, index) {
      const task = tasks.find((t) => t.id === id);
      if (!task) return;
      const others = store.column(status).filter((t) => t.id !== id);
      const position = Math.max(0, Math.min(index, others.length));
      const current = store.column(task.status).findIndex((t) => t.id === id);
      if (task.status === status && current === position) return;
      try {
        await send(task, { status, position: positionAt(others, position) }, () =>
          client.moveTask(id, status, position),
        );
      } catch (e) {
        errorToast(e, "Could not move the task");
      }
    },
    remove(id) {
      const task = tasks.find((t) => t.id === id);
      if (!task) return;
      const saved = copy(task);
      drop(id);
      const toast = showToast(`Deleted “${task.title}”`, {
        timeout: UNDO_MS,
        action: {
          label: "Undo",
          run: () => {
            pendingDeletes.delete(id);
            upsert(saved);
          },
        },
        onExpire: () => sendDelete(id),
      });
      pendingDeletes.set(id, { task: saved, toast });
    },
    async archive(id) {
      const task = tasks.find((t) => t.id === id);
      if (!task) return;
      const saved = copy(task);
      drop(id);
      try {
        await client.archiveTask(id);
      } catch (e) {
        upsert(saved);
        errorToast(e, "Could not archive the task");
        return;
      }
      showToast(`Archived “${task.title}”`, {
        timeout: UNDO_MS,
        action: {
          label: "Undo",
          run: () => {
            client.restoreTask(id).then(upsert, (e) => errorToast(e, "Could not restore the task"));
          },
        },
      });
    },
    async reload(id) {
      try {
        const task = await client.task(id);
        setTasks(
          produce((list) => {
            const current = list.find((t) => t.id === id);
            if (current) Object.assign(current, task);
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
      switch (event.type) {
        case "task.created": {
          // Our own create can echo back before its response: the echo replaces the placeholder.
          const task = event.task;
          if (task.projectId === projectId) {
            const placeholder = tasks.find(
              (t) => t.id.startsWith("temp-") && t.title === task.title && t.status === task.status,
            );
            if (placeholder) adopt(placeholder.id, task);
            else upsert(task);
          }
          break;
        }
        case "task.updated":
        case "task.moved":
          if (event.task.projectId === projectId) upsert(event.task);
          break;
        case "task.deleted":
        case "task.archived":
          drop(event.task.id);
          break;
        case "task.restored":
          if (event.task.projectId === projectId) upsert(event.task);
          break;
        case "label.updated":
        case "label.deleted":
          // Renamed on (or taken off) its tasks, each with a new version: read them again.
          if (event.tasks > 0) void store.load();
          break;
      }
    },
    flush() {
      for (const id of [...pendingDeletes.keys()]) sendDelete(id, true);
    },
  };
  return store;
}

export { STATUSES };
