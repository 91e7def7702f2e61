// Calendar of tasks by due date: a month or a week, across all my projects (/calendar) or one
// (/projects/:id/calendar). Drag a task to another day, or focus it and press Shift+arrow keys (a day,
// a week); arrow keys move between days (a grid with one tab stop), Page Up/Down between months. Moves
// keep the time of day and are announced in a live region. Narrow screens get an agenda list with a
// "Move to" date field per task. The view and the day are in the URL (?view=week&date=2026-12-15).
// Days are those of the user's time zone (the account setting), whatever the browser's is.
import { useNavigate, useSearchParams } from "@solidjs/router";
import {
  createEffect,
  createMemo,
  createSignal,
  For,
  type JSX,
  Match,
  on,
  onCleanup,
  Show,
  Switch,
  useContext,
} from "solid-js";
import { live } from "../api/events";
import type { Task } from "../api/types";
import { ErrorView, RowsSkeleton } from "../components/States";
import { ProjectContext, useProject } from "../stores/project";
import { projectsStore } from "../stores/projects";
import { useSession } from "../stores/session";
import { errorToast } from "../stores/toast";
import "./calendar.css";
import { createPreferencesStore } from "../stores/preferences";
import {
  addDays,
  addMonths,
  type CalendarView,
  type DayKey,
  dayKey,
  dayOf,
  formatDay,
  formatMonth,
  formatRange,
  formatShortDay,
  formatTime,
  formatWeekday,
  isDateOnly,
  parseDayKey,
  startOfDayIn,
  today as todayIn,
  viewWeeks,
  viewWindow,
} from "./dates";
import { createCalendarStore } from "./store";

/** Below this width the grid gives way to an agenda list (a phone at 375 px, a narrow window). */
const AGENDA_QUERY = "(max-width: 640px)";

const byDue = (a: Task, b: Task) =>
  (a.dueAt ?? "").localeCompare(b.dueAt ?? "") || a.title.localeCompare(b.title);

export default function AllProjectsCalendar() {
  const navigate = useNavigate();
  return (
    <CalendarPage
      heading={(title) => <h1 id="calendar-title">{title}</h1>}
      onOpen={(task) => navigate(`/projects/${task.projectId}?task=${task.id}`)}
    />
  );
}

export function ProjectCalendar() {
  const ctx = useProject();
  return (
    <CalendarPage
      projectId={ctx.project().id}
      heading={(title) => <h2 id="calendar-title">{title}</h2>}
      onOpen={(task) => ctx.openTask({ taskId: task.id })}
    />
  );
}

interface CalendarProps {
  projectId?: string;
  heading: (title: string) => JSX.Element;
  onOpen: (task: Task) => void;
}

/** The calendar in the user's time zone, once it is known (the browser's if it cannot be read). */
function CalendarPage(props: CalendarProps) {
  const { preferences } = createPreferencesStore();
  const zone = () =>
    preferences.state === "errored"
      ? Intl.DateTimeFormat().resolvedOptions().timeZone
      : preferences.latest?.timeZone;
  return (
    <Show when={zone()} keyed fallback={<RowsSkeleton rows={5} />}>
      {(timeZone) => <ZonedCalendar {...props} zone={timeZone} />}
    </Show>
  );
}

function ZonedCalendar(props: CalendarProps & { zone: string }) {
  const session = useSession();
  const projects = projectsStore();
  const inProject = !!useContext(ProjectContext);
  const [search, setSearch] = useSearchParams<{ view?: string; date?: string; mine?: string }>();
  const view = (): CalendarView => (search.view === "week" ? "week" : "month");
  const cursor = () => parseDayKey(search.date ?? "") ?? (parseDayKey(todayIn(props.zone)) as Date);
  const mine = () => search.mine === "1";
  const weeks = createMemo(() => viewWeeks(view(), cursor()));
  const store = createCalendarStore(
    () => session.user()?.id,
    () => props.zone,
  );
  const [active, setActive] = createSignal<DayKey>(dayKey(cursor()));
  const [announcement, setAnnouncement] = createSignal("");
  const [dragging, setDragging] = createSignal<string | null>(null);
  const [overDay, setOverDay] = createSignal<DayKey | null>(null);
  const media = window.matchMedia(AGENDA_QUERY);
  const [narrow, setNarrow] = createSignal(media.matches);
  const onMedia = () => setNarrow(media.matches);
  media.addEventListener("change", onMedia);
  onCleanup(() => media.removeEventListener("change", onMedia));
  onCleanup(live.subscribe((event) => store.apply(event)));

  const load = () => {
    const { from, to } = viewWindow(view(), cursor());
    void store.load({
      from: startOfDayIn(from, props.zone),
      to: startOfDayIn(to, props.zone),
      projectId: props.projectId,
      assignedToMe: mine(),
    });
  };
  createEffect(on([view, () => dayKey(cursor()), mine], load));
  // The active day follows the shown period (Previous/Next, a link with ?date=).
  createEffect(on(() => dayKey(cursor()), setActive));

  const title = () => {
    if (view() === "month") return formatMonth(cursor());
    const days = weeks()[0] ?? [];
    return formatRange(days[0] ?? cursor(), days[6] ?? cursor());
  };
  const today = () => todayIn(props.zone);
  const days = createMemo(() => weeks().flat().map(dayKey));
  const byDay = createMemo(() => {
    const map = new Map<DayKey, Task[]>();
    for (const task of store.tasks) {
      if (!task.dueAt) continue;
      const key = dayOf(task.dueAt, props.zone);
      map.set(key, [...(map.get(key) ?? []), task]);
    }
    for (const list of map.values()) list.sort(byDue);
    return map;
  });
  const tasksOn = (day: DayKey) => byDay().get(day) ?? [];
  const canEdit = (task: Task) => {
    const project = projects.byId(task.projectId);
    return !!project && project.role !== "viewer" && !project.archivedAt;
  };
  const projectName = (task: Task) => projects.byId(task.projectId)?.name ?? "";
  const inMonth = (day: Date) => view() === "week" || day.getMonth() === cursor().getMonth();

  /** Shows the period around `day` (keeping the view) and makes it the active day. */
  const goTo = (day: DayKey) => {
    if (!days().includes(day)) setSearch({ date: day });
    setActive(day);
  };
  const step = (direction: 1 | -1) => {
    const next = view() === "month" ? addMonths(cursor(), direction) : addDays(cursor(), 7 * direction);
    setSearch({ date: dayKey(next) });
  };
  // Focus goes to a day or task now when it is on screen, else once the period it is in has rendered.
  let focusWhenShown: (() => void) | undefined;
  createEffect(
    on(
      days,
      () => {
        const focus = focusWhenShown;
        focusWhenShown = undefined;
        focus?.();
      },
      { defer: true },
    ),
  );
  const focusSoon = (day: DayKey, selector: string) => {
    const focus = () => document.querySelector<HTMLElement>(selector)?.focus();
    if (days().includes(day)) focus();
    else focusWhenShown = focus;
  };
  const focusDay = (day: DayKey) => focusSoon(day, `[data-day="${CSS.escape(day)}"]`);
  const focusTask = (day: DayKey, id: string) =>
    focusSoon(day, `.cal-task[data-task-id="${CSS.escape(id)}"]`);

  const move = async (task: Task, day: DayKey) => {
    if (!task.dueAt || dayOf(task.dueAt, props.zone) === day) return;
    const from = dayOf(task.dueAt, props.zone);
    const name = task.title;
    setAnnouncement(`${name} moved to ${formatDay(parseDayKey(day) as Date)}.`);
    try {
      await store.moveToDay(task.id, day);
    } catch (e) {
      errorToast(e, "Could not move the task");
      setAnnouncement(`Could not move ${name}: it is back on ${formatDay(parseDayKey(from) as Date)}.`);
    }
  };

  /** A day `days` away from `from` (arrow keys), or the week's start or end (Home, End). */
  const dayFrom = (from: DayKey, key: string): DayKey | undefined => {
    const date = parseDayKey(from) as Date;
    const weekday = (date.getDay() + 6) % 7;
    const offsets: Record<string, number> = {
      ArrowLeft: -1,
      ArrowRight: 1,
      ArrowUp: -7,
      ArrowDown: 7,
      Home: -weekday,
      End: 6 - weekday,
    };
    const offset = offsets[key];
    return offset === undefined ? undefined : dayKey(addDays(date, offset));
  };

  const onGridKey = (e: KeyboardEvent) => {
    const target = e.target as HTMLElement;
    const taskButton = target.closest<HTMLElement>(".cal-task");
    const taskId = taskButton?.dataset.taskId;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "PageUp" || e.key === "PageDown") {
      e.preventDefault();
      const date = parseDayKey(active()) as Date;
      const direction = e.key === "PageUp" ? -1 : 1;
      const next = dayKey(view() === "month" ? addMonths(date, direction) : addDays(date, 7 * direction));
      focusDay(next);
      goTo(next);
      return;
    }
    const focusedTask = store.tasks.find((t) => t.id === taskId);
    const from = focusedTask?.dueAt ? dayOf(focusedTask.dueAt, props.zone) : active();
    const next = dayFrom(from, e.key);
    if (!next) return;
    e.preventDefault();
    if (focusedTask && e.shiftKey) {
      if (e.key === "Home" || e.key === "End") return;
      if (!canEdit(focusedTask)) {
        setAnnouncement(
          `${focusedTask.title} cannot be moved: ${projectName(focusedTask)} is read-only for you.`,
        );
        return;
      }
      void move(focusedTask, next);
      focusTask(next, focusedTask.id);
      goTo(next);
      return;
    }
    focusDay(next);
    goTo(next);
  };

  const onDrop = (e: DragEvent, day: DayKey) => {
    e.preventDefault();
    const id = dragging() ?? e.dataTransfer?.getData("text/plain");
    setDragging(null);
    setOverDay(null);
    const task = store.tasks.find((t) => t.id === id);
    if (task) void move(task, day);
  };

  const setView = (next: CalendarView) => setSearch({ view: next === "month" ? undefined : next });

  return (
    <div class="calendar" classList={{ "cal-week": view() === "week", "cal-month": view() === "month" }}>
      <p class="visually-hidden" role="status" aria-live="assertive">
        {announcement()}
      </p>
      <div class="cal-toolbar">
        {props.heading(title())}
        <div class="cal-nav">
          <button
            type="button"
            class="btn"
            aria-label={view() === "month" ? "Previous month" : "Previous week"}
            onClick={() => step(-1)}
          >
            ‹
          </button>
          <button type="button" class="btn" onClick={() => setSearch({ date: undefined })}>
            Today
          </button>
          <button
            type="button"
            class="btn"
            aria-label={view() === "month" ? "Next month" : "Next week"}
            onClick={() => step(1)}
          >
            ›
          </button>
        </div>
        <fieldset class="cal-views">
          <legend class="visually-hidden">View</legend>
          <button
            type="button"
            class="btn"
            aria-pressed={view() === "month"}
            onClick={() => setView("month")}
          >
            Month
          </button>
          <button type="button" class="btn" aria-pressed={view() === "week"} onClick={() => setView("week")}>
            Week
          </button>
        </fieldset>
        <div class="field-check">
          <input
            type="checkbox"
            id="cal-mine"
            checked={mine()}
            onChange={(e) => setSearch({ mine: e.currentTarget.checked ? "1" : undefined })}
          />
          <label for="cal-mine">Only tasks assigned to me</label>
        </div>
      </div>
      <Show when={store.truncated()}>
        <p class="notice" role="status">
          More tasks are due in this period than the calendar shows: the first 1,000 are listed.
        </p>
      </Show>
      <p id="cal-help" class="visually-hidden">
        Arrow keys move between days, Page Up and Page Down between {view() === "month" ? "months" : "weeks"}.
        On a task: Enter opens it; Shift plus arrow keys move it a day or a week.
      </p>
      <Switch>
        <Match when={store.state() === "error"}>
          <ErrorView error={store.error()} retry={load} />
        </Match>
        <Match when={store.state() === "loading"}>
          <RowsSkeleton rows={5} />
        </Match>
        <Match when={narrow()}>
          <Agenda
            days={days()}
            tasksOn={tasksOn}
            today={today()}
            zone={props.zone}
            period={view() === "month" ? "month" : "week"}
            canEdit={canEdit}
            projectName={inProject ? undefined : projectName}
            onOpen={props.onOpen}
            onMove={move}
          />
        </Match>
        <Match when={true}>
          <table
            // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: the ARIA date grid pattern (a table whose cells are reached with arrow keys)
            role="grid"
            class="cal-grid"
            aria-labelledby="calendar-title"
            aria-describedby="cal-help"
            onKeyDown={onGridKey}
          >
            <thead>
              <tr>
                <For each={weeks()[0]}>
                  {(day) => (
                    <th scope="col" class="cal-weekday">
                      {formatWeekday(day)}
                    </th>
                  )}
                </For>
              </tr>
            </thead>
            <tbody>
              <For each={weeks()}>
                {(week) => (
                  <tr>
                    <For each={week}>
                      {(day) => {
                        const key = dayKey(day);
                        const isActive = () => active() === key;
                        return (
                          <td
                            class="cal-day"
                            classList={{
                              outside: !inMonth(day),
                              today: key === today(),
                              "drop-target": overDay() === key,
                            }}
                            data-day={key}
                            tabindex={isActive() ? 0 : -1}
                            aria-current={key === today() ? "date" : undefined}
                            onFocus={(e) => {
                              if (e.target === e.currentTarget) setActive(key);
                            }}
                            onDragOver={(e) => {
                              if (!dragging()) return;
                              e.preventDefault();
                              if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
                              if (overDay() !== key) setOverDay(key);
                            }}
                            onDragLeave={(e) => {
                              if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node))
                                setOverDay(null);
                            }}
                            onDrop={(e) => onDrop(e, key)}
                          >
                            <span class="cal-date">
                              <span aria-hidden="true">{day.getDate()}</span>
                              <span class="visually-hidden">{formatDay(day)}</span>
                            </span>
                            <ul class="cal-tasks">
                              <For each={tasksOn(key)}>
                                {(task) => (
                                  <li>
                                    <button
                                      type="button"
                                      class="cal-task"
                                      classList={{ done: task.status === "done" }}
                                      data-task-id={task.id}
                                      title={task.title}
                                      tabindex={isActive() ? 0 : -1}
                                      draggable={canEdit(task)}
                                      aria-describedby="cal-help"
                                      onClick={() => props.onOpen(task)}
                                      onFocus={() => setActive(key)}
                                      onDragStart={(e) => {
                                        setDragging(task.id);
                                        e.dataTransfer?.setData("text/plain", task.id);
                                        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
                                      }}
                                      onDragEnd={() => {
                                        setDragging(null);
                                        setOverDay(null);
                                      }}
                                    >
                                      <TaskLabel
                                        task={task}
                                        zone={props.zone}
                                        projectName={inProject ? undefined : projectName}
                                      />
                                    </button>
                                  </li>
                                )}
                              </For>
                            </ul>
                          </td>
                        );
                      }}
                    </For>
                  </tr>
                )}
              </For>
            </tbody>
          </table>
        </Match>
      </Switch>
    </div>
  );
}

function TaskLabel(props: { task: Task; zone: string; projectName?: (task: Task) => string }) {
  return (
    <>
      <Show when={props.task.dueAt && !isDateOnly(props.task.dueAt)}>
        <span class="cal-time">{formatTime(props.task.dueAt as string, props.zone)} </span>
      </Show>
      <span class="cal-title">{props.task.title}</span>
      <Show when={props.task.status === "done"}>
        <span class="visually-hidden"> (done)</span>
      </Show>
      <Show when={props.projectName?.(props.task)}>
        {(name) => <span class="cal-project">{name()}</span>}
      </Show>
    </>
  );
}

/** The narrow screen's list: each day of the period that has tasks, with a date field to move each. */
function Agenda(props: {
  days: DayKey[];
  tasksOn: (day: DayKey) => Task[];
  today: DayKey;
  zone: string;
  period: "month" | "week";
  canEdit: (task: Task) => boolean;
  projectName?: (task: Task) => string;
  onOpen: (task: Task) => void;
  onMove: (task: Task, day: DayKey) => Promise<void>;
}) {
  const busy = () => props.days.filter((day) => props.tasksOn(day).length > 0);
  return (
    <div class="cal-agenda">
      <Show when={busy().length > 0} fallback={<p class="muted">Nothing is due this {props.period}.</p>}>
        <For each={busy()}>
          {(day) => {
            const date = parseDayKey(day) as Date;
            return (
              <section class="cal-agenda-day" data-day={day} aria-labelledby={`agenda-${day}`}>
                <h3 id={`agenda-${day}`} classList={{ today: day === props.today }}>
                  <span aria-hidden="true">
                    {formatWeekday(date)} {formatShortDay(date)}
                  </span>
                  <span class="visually-hidden">{formatDay(date)}</span>
                </h3>
                <ul>
                  <For each={props.tasksOn(day)}>
                    {(task) => (
                      <li class="cal-agenda-item">
                        <button
                          type="button"
                          class="cal-task"
                          classList={{ done: task.status === "done" }}
                          data-task-id={task.id}
                          onClick={() => props.onOpen(task)}
                        >
                          <TaskLabel task={task} zone={props.zone} projectName={props.projectName} />
                        </button>
                        <Show when={props.canEdit(task)}>
                          <label class="cal-move">
                            <span class="visually-hidden">Move “{task.title}” to</span>
                            <input
                              type="date"
                              value={day}
                              required
                              onChange={(e) => {
                                const value = e.currentTarget.value;
                                if (parseDayKey(value)) void props.onMove(task, value);
                              }}
                            />
                          </label>
                        </Show>
                      </li>
                    )}
                  </For>
                </ul>
              </section>
            );
          }}
        </For>
      </Show>
    </div>
  );
}
