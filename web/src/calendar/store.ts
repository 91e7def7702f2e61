// Tasks due in the window a calendar view shows: loaded from /api/calendar, kept live by the event
// stream, and moved to another day optimistically (PATCH dueAt with If-Match). Moves of one task go
// out one after another, each with the version the previous one produced, so quick Shift+arrow
// presses do not refuse each other; once the last one ends the task settles on the newest copy the
// server sent (its answer, or a live event): the result on success, a rollback on failure.
import { createSignal } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import { type CalendarWindow, calendarApi } from "../api/calendar";
import { tasksApi } from "../api/tasks";
import type { LiveEvent, Task } from "../api/types";
import { type DayKey, onDay } from "./dates";

export interface CalendarStore {
  tasks: Task[];
  state: () => "loading" | "ready" | "error";
  error: () => unknown;
  /** More tasks are due in the window than the API answers. */
  truncated: () => boolean;
  /** Shows `window`'s tasks; a newer call wins over one still loading. */
  load(window: CalendarWindow): Promise<void>;
  /** Moves the task's due date to `day`, same time of day; rejects (after the rollback) on failure. */
  moveToDay(id: string, day: DayKey): Promise<Task>;
  apply(event: LiveEvent): void;
}

export function createCalendarStore(
  /** The signed-in user, for `assignedToMe` on live events. */
  userId: () => string | undefined,
  /** The user's time zone: a moved task keeps its time of day there. */
  zone: () => string,
  client: Pick<typeof calendarApi, "due"> & Pick<typeof tasksApi, "updateTask"> = {
    ...calendarApi,
    ...tasksApi,
  },
): CalendarStore {
  const [tasks, setTasks] = createStore<Task[]>([]);
  const [state, setState] = createSignal<"loading" | "ready" | "error">("loading");
  const [error, setError] = createSignal<unknown>();
  const [truncated, setTruncated] = createSignal(false);
  let current: CalendarWindow | undefined;
  let loading: AbortController | undefined;
  /**
   * What the server sent while a load was under way (null: deleted). The load's answer may have been
   * computed before: a move that settled, or a live event that came, before the answer arrived.
   */
  let sinceLoad: Map<string, Task | null> | undefined;
  const note = (id: string, task: Task | null) => {
    const seen = sinceLoad?.get(id);
    if (sinceLoad && (task === null || !seen || seen.version < task.version))
      sinceLoad.set(id, task && copy(task));
  };
  /** Tasks with moves of ours under way: their count, the server's newest copy, the request queue. */
  const inflight = new Map<string, { count: number; server: Task; queue: Promise<unknown> }>();
  const copy = (task: Task): Task => ({ ...task, labels: [...task.labels] });

  const shows = (task: Task) => {
    if (!current || !task.dueAt || task.archivedAt) return false;
    const due = Date.parse(task.dueAt);
    return (
      due >= Date.parse(current.from) &&
      due < Date.parse(current.to) &&
      (!current.projectId || task.projectId === current.projectId) &&
      (!current.assignedToMe || task.assigneeId === userId())
    );
  };
  /** The server's copy, unless ours is newer; out of the window it leaves the view. */
  const put = (task: Task) => {
    note(task.id, task);
    setTasks(
      produce((list) => {
        const index = list.findIndex((t) => t.id === task.id);
        const held = list[index];
        if (held && held.version > task.version) return;
        if (!shows(task)) {
          if (index >= 0) list.splice(index, 1);
        } else if (held) Object.assign(held, task);
        else list.push({ ...task });
      }),
    );
  };
  /** A copy from the server: held back while our moves of the task are under way. */
  const receive = (task: Task) => {
    const entry = inflight.get(task.id);
    if (!entry) return put(task);
    if (task.version >= entry.server.version) entry.server = copy(task);
  };
  const drop = (id: string) => {
    note(id, null);
    setTasks((list) => list.filter((t) => t.id !== id));
  };

  const store: CalendarStore = {
    tasks,
    state,
    error,
    truncated,
    async load(window) {
      current = window;
      loading?.abort();
      const mine = new AbortController();
      loading = mine;
      const seen = new Map<string, Task | null>();
      sinceLoad = seen;
      if (state() === "error") setState("loading");
      try {
        const answer = await client.due(window, mine.signal);
        if (loading !== mine) return;
        sinceLoad = undefined;
        // The answer's copy unless a newer one came while it was on its way.
        const newest = new Map(answer.items.map((task) => [task.id, task]));
        for (const [id, task] of seen) {
          const answered = newest.get(id);
          if (answered && task && answered.version >= task.version) continue;
          if (task && shows(task)) newest.set(id, task);
          else newest.delete(id);
        }
        // A task being moved keeps its optimistic copy (the answer may predate the move).
        const items = [...newest.values()].filter((task) => !inflight.has(task.id));
        for (const id of inflight.keys()) {
          const shown = tasks.find((t) => t.id === id);
          if (shown && shows(shown)) items.push(copy(shown));
        }
        setTasks(reconcile(items, { key: "id" }));
        setTruncated(answer.truncated);
        setState("ready");
      } catch (e) {
        if (loading !== mine) return;
        sinceLoad = undefined;
        setError(e);
        setState("error");
      }
    },
    async moveToDay(id, day) {
      const task = tasks.find((t) => t.id === id);
      if (!task?.dueAt) throw new Error("no such task in the calendar");
      const entry = inflight.get(id) ?? { count: 0, server: copy(task), queue: Promise.resolve() };
      inflight.set(id, entry);
      entry.count += 1;
      const dueAt = onDay(task.dueAt, day, zone());
      setTasks((t) => t.id === id, { dueAt });
      const request = entry.queue.then(() => client.updateTask(id, { dueAt }, entry.server.version));
      entry.queue = request.catch(() => {});
      try {
        const answer = await request;
        if (answer.version >= entry.server.version) entry.server = copy(answer);
        return answer;
      } finally {
        entry.count -= 1;
        // Deleted meanwhile (a live event ended its entry): nothing to settle.
        if (entry.count === 0 && inflight.get(id) === entry) {
          inflight.delete(id);
          setTasks(
            produce((list) => {
              const held = list.find((t) => t.id === id);
              if (held) Object.assign(held, entry.server);
            }),
          );
          put(entry.server);
        }
      }
    },
    apply(event) {
      if (!current) return;
      switch (event.type) {
        case "task.created":
        case "task.updated":
        case "task.moved":
        case "task.restored":
        case "task.archived":
          receive(event.task);
          break;
        case "task.deleted":
          inflight.delete(event.task.id);
          drop(event.task.id);
          break;
        // Whole projects came or went, or events were missed: read the window again.
        case "resync":
        case "project.created":
        case "project.deleted":
        case "project.archived":
        case "project.restored":
        case "member.added":
        case "member.removed":
          void store.load(current);
          break;
      }
    },
  };
  return store;
}
