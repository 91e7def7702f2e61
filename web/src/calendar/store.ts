// Tasks due in the window a calendar view shows: loaded from /api/calendar, kept live by the event
// stream, and moved to another day optimistically (PATCH dueAt with If-Match; rolled back on failure
// unless the server has sent a newer copy meanwhile).
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
  /** Moves of ours not answered yet: their optimistic copies outlive a reload. */
  const moving = new Map<string, Task>();

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
  const put = (task: Task) =>
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
  const drop = (id: string) => setTasks((list) => list.filter((t) => t.id !== id));

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
      if (state() === "error") setState("loading");
      try {
        const answer = await client.due(window, mine.signal);
        if (loading !== mine) return;
        const items = answer.items.map((task) => moving.get(task.id) ?? task);
        for (const task of moving.values())
          if (shows(task) && !items.some((t) => t.id === task.id)) items.push(task);
        setTasks(reconcile(items, { key: "id" }));
        setTruncated(answer.truncated);
        setState("ready");
      } catch (e) {
        if (loading !== mine) return;
        setError(e);
        setState("error");
      }
    },
    async moveToDay(id, day) {
      const before = tasks.find((t) => t.id === id);
      if (!before?.dueAt) throw new Error("no such task in the calendar");
      const saved = { ...before, labels: [...before.labels] };
      const dueAt = onDay(saved.dueAt as string, day);
      const optimistic = { ...saved, dueAt };
      moving.set(id, optimistic);
      setTasks((t) => t.id === id, { dueAt });
      try {
        const answer = await client.updateTask(id, { dueAt }, saved.version);
        put(answer);
        return answer;
      } catch (e) {
        // Back to the day it had, unless a newer copy (a live event) came meanwhile.
        setTasks(
          produce((list) => {
            const held = list.find((t) => t.id === id);
            if (held && held.version === saved.version) Object.assign(held, saved);
          }),
        );
        throw e;
      } finally {
        if (moving.get(id) === optimistic) moving.delete(id);
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
          put(event.task);
          break;
        case "task.deleted":
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
