// Tasks of one project for the board: optimistic create/update/move/delete with rollback, delete
// with undo (the DELETE is sent when the undo window closes), and live events merged in.
import { createSignal } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import { type ColumnInput, columnsApi } from "../api/columns";
import { ApiError, allPages, isTemporary } from "../api/http";
import { tasksApi } from "../api/tasks";
import type { Column, LiveEvent, Status, Task, TaskInput } from "../api/types";
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
  /** The project's columns in board order (from the board's load and live column events). */
  columns: Column[];
  /** A column's tasks in board order. */
  inColumn(columnId: string): Task[];
  byId(id: string): Task | undefined;
  /** With `columnId`, into that column (its kind is the status); else the first column of `status`. */
  create(input: TaskInput & { title: string; columnId?: string }): Promise<Task | undefined>;
  /** `baseVersion`: the version the user edited (a stale one gives 409 and rolls back). */
  update(id: string, patch: TaskInput, baseVersion?: number): Promise<Task>;
  /** Moves to `index` (0-based, counted without the task) of `status`'s column. */
  move(id: string, status: Status, index: number): Promise<void>;
  /** Moves to `index` (0-based, counted without the task) of column `columnId`. */
  moveToColumn(id: string, columnId: string, index: number): Promise<void>;
  /** Column management (owners): the server's answer is applied (no optimistic change). */
  addColumn(input: ColumnInput & { name: string }): Promise<Column>;
  changeColumn(id: string, input: ColumnInput): Promise<Column>;
  reorderColumn(id: string, index: number): Promise<void>;
  deleteColumn(id: string, moveTo?: string): Promise<void>;
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

export function createTasksStore(
  projectId: string,
  client: typeof tasksApi & Partial<typeof columnsApi> = { ...tasksApi, ...columnsApi },
  reloadRetryMs = 1000,
): TasksStore {
  const [tasks, setTasks] = createStore<Task[]>([]);
  const [columns, setColumns] = createStore<Column[]>([]);
  const putColumn = (column: Column) =>
    setColumns(
      produce((list) => {
        const current = list.find((c) => c.id === column.id);
        if (current) Object.assign(current, column);
        else list.push({ ...column });
        list.sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : 1));
      }),
    );
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
    columns,
    async load(attempt = 0) {
      try {
        // The board in one request (its columns and every task); page by page without it.
        let items: Task[];
        if (client.board) {
          const board = await client.board(projectId);
          setColumns(reconcile(board.columns, { key: "id" }));
          items = board.tasks;
        } else {
          items = await allPages((cursor) =>
            client.tasks({ projectId, sort: "position", limit: "100", cursor }),
          );
        }
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
    inColumn: (columnId) => tasks.filter((t) => t.columnId === columnId).sort(byPosition),
    byId: (id) => tasks.find((t) => t.id === id),
    async create(input) {
      const now = new Date().toISOString();
      const chosen = input.columnId ? columns.find((c) => c.id === input.columnId) : undefined;
      const status = chosen?.kind ?? input.status ?? "todo";
      const columnId = chosen?.id ?? columns.find((c) => c.kind === status)?.id ?? "";
      const temp: Task = {
        id: `temp-${++tempId}`,
        projectId,
        title: input.title,
        description: input.description ?? "",
        status,
        columnId,
        priority: input.priority ?? "medium",
        dueAt: input.dueAt ?? null,
        labels: input.labels ?? [],
        assigneeId: input.assigneeId ?? null,
        position: positionAt(
          columnId ? store.inColumn(columnId) : store.column(status),
          Number.MAX_SAFE_INTEGER,
        ),
        version: 0,
        createdAt: now,
        updatedAt: now,
        completedAt: null,
        archivedAt: null,
        // The author's zone is the server's to fill in: shown once the answer replaces the placeholder.
        recurrence: input.recurrence ? { timeZone: "UTC", ...input.recurrence } : null,
      };
      // The store owns `temp` from here on (adopt() may rewrite its id): keep the placeholder id apart.
      const placeholderId = temp.id;
      setTasks((list) => [...list, temp]);
      // A column says the status: the API takes one of the two.
      const { columnId: into, status: _status, ...rest } = input;
      const body = chosen && into ? { ...rest, columnId: into, projectId } : { ...input, projectId };
      // Creates go one after another, so the server appends them in the order they were made (a form
      // used twice in a row): sent together, the second could land above the first.
      const request = creates.then(() => client.createTask(body));
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
      // Shown at once in the zone it had (a new one's zone is the server's to fill in).
      const { recurrence, ...fields } = patch;
      const shown: Partial<Task> =
        recurrence === undefined
          ? fields
          : {
              ...fields,
              recurrence: recurrence && { timeZone: before.recurrence?.timeZone ?? "UTC", ...recurrence },
            };
      return send(before, shown, () => client.updateTask(id, patch, version));
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
    async moveToColumn(id, columnId, index) {
      const task = tasks.find((t) => t.id === id);
      const column = columns.find((c) => c.id === columnId);
      if (!task || !column) return;
      const others = store.inColumn(columnId).filter((t) => t.id !== id);
      const position = Math.max(0, Math.min(index, others.length));
      const current = store.inColumn(task.columnId).findIndex((t) => t.id === id);
      if (task.columnId === columnId && current === position) return;
      const completedAt = column.done ? (task.completedAt ?? new Date().toISOString()) : null;
      try {
        await send(
          task,
          { columnId, status: column.kind, completedAt, position: positionAt(others, position) },
          () => client.moveTask(id, column.kind, position, columnId),
        );
      } catch (e) {
        errorToast(e, "Could not move the task");
      }
    },
    async addColumn(input) {
      const column = await (client.createColumn ?? columnsApi.createColumn)(projectId, input);
      putColumn(column);
      return column;
    },
    async changeColumn(id, input) {
      const column = await (client.updateColumn ?? columnsApi.updateColumn)(projectId, id, input);
      putColumn(column);
      return column;
    },
    async reorderColumn(id, index) {
      const ids = columns.map((c) => c.id).filter((c) => c !== id);
      ids.splice(Math.max(0, Math.min(index, ids.length)), 0, id);
      const before = columns.map((c) => ({ ...c }));
      // Shown at once; the server's order replaces it (or the old one comes back with a toast).
      setColumns(
        produce((list) => {
          for (const column of list) column.position = ids.indexOf(column.id);
          list.sort((a, b) => a.position - b.position);
        }),
      );
      try {
        const answer = await (client.moveColumn ?? columnsApi.moveColumn)(projectId, id, index);
        setColumns(reconcile(answer.items, { key: "id" }));
      } catch (e) {
        setColumns(reconcile(before, { key: "id" }));
        errorToast(e, "Could not move the column");
      }
    },
    async deleteColumn(id, moveTo) {
      await (client.deleteColumn ?? columnsApi.deleteColumn)(projectId, id, moveTo);
      setColumns((list) => list.filter((c) => c.id !== id));
      if (moveTo) await store.load();
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
        case "column.created":
        case "column.updated":
          putColumn(event.column);
          break;
        case "column.deleted":
          setColumns((list) => list.filter((c) => c.id !== event.column.id));
          break;
        case "column.reordered":
          setColumns(reconcile(event.columns, { key: "id" }));
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
