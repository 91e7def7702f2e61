// List view: server-side filters, full-text search and sort, all kept in the URL so a view can be
// bookmarked or shared. Rows show the freshest copy from the board store; live events refetch.
import { useSearchParams } from "@solidjs/router";
import { createResource, createSignal, For, Match, onCleanup, Show, Switch } from "solid-js";
import { api } from "../api/client";
import { live } from "../api/events";
import { PRIORITIES, PRIORITY_LABEL, STATUS_LABEL, STATUSES, type Task } from "../api/types";
import { Empty, ErrorView, RowsSkeleton } from "../components/States";
import { formatDate, isOverdue } from "../components/TaskCard";
import { useProject } from "./ProjectLayout";

export const FILTER_KEYS = [
  "status",
  "priority",
  "label",
  "assigneeId",
  "dueAfter",
  "dueBefore",
  "q",
  "sort",
] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

const SORTABLE: { key: string; label: string }[] = [
  { key: "title", label: "Title" },
  { key: "priority", label: "Priority" },
  { key: "dueAt", label: "Due" },
  { key: "updatedAt", label: "Updated" },
];

/** Next sort value when a column header is clicked: ascending, then descending. */
export function nextSort(current: string | undefined, key: string): string {
  return current === key ? `-${key}` : key;
}

export function dateParam(value: string, endOfDay: boolean): string | undefined {
  return value
    ? new Date(`${value}T${endOfDay ? "23:59:59.999" : "00:00:00.000"}Z`).toISOString()
    : undefined;
}

export default function List() {
  const ctx = useProject();
  const [params, setParams] = useSearchParams<Record<FilterKey, string>>();
  const [extra, setExtra] = createSignal<Task[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loadingMore, setLoadingMore] = createSignal(false);

  const query = () => {
    const q: Record<string, string | undefined> = { projectId: ctx.project().id, limit: "50" };
    for (const key of FILTER_KEYS) {
      const value = params[key];
      if (!value) continue;
      if (key === "dueAfter") q[key] = dateParam(value, false);
      else if (key === "dueBefore") q[key] = dateParam(value, true);
      else q[key] = value;
    }
    q.sort = params.sort || "position";
    return q;
  };
  const [page, { refetch }] = createResource(query, async (q) => {
    const result = await api.tasks(q);
    setExtra([]);
    setCursor(result.nextCursor ?? null);
    return result.items;
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const off = live.subscribe((event) => {
    if (event.type === "resync" || event.projectId === ctx.project().id) {
      clearTimeout(timer);
      timer = setTimeout(() => void refetch(), 250);
    }
  });
  onCleanup(() => {
    off();
    clearTimeout(timer);
  });

  const rows = () =>
    [...(page.latest ?? []), ...extra()]
      .map((row) => (ctx.tasks.state() === "ready" ? ctx.tasks.byId(row.id) : row))
      .filter((row): row is Task => !!row)
      .filter((row, i, all) => all.findIndex((r) => r.id === row.id) === i);
  const loadMore = async () => {
    const next = cursor();
    if (!next) return;
    setLoadingMore(true);
    try {
      const result = await api.tasks({ ...query(), cursor: next });
      setExtra((list) => [...list, ...result.items]);
      setCursor(result.nextCursor ?? null);
    } finally {
      setLoadingMore(false);
    }
  };
  const set = (key: FilterKey, value: string) => setParams({ [key]: value || undefined });
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  const filtered = () => FILTER_KEYS.some((k) => k !== "sort" && params[k]);
  const memberName = (id: string | null) =>
    id ? (ctx.members().find((m) => m.userId === id)?.name ?? "") : "";

  return (
    <div class="list-view">
      <form class="filters" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
        <div class="field field-grow">
          <label for="f-q">Search</label>
          <input
            id="f-q"
            type="search"
            value={params.q ?? ""}
            placeholder="Title or description"
            aria-describedby="f-q-hint"
            onInput={(e) => {
              const value = e.currentTarget.value;
              clearTimeout(searchTimer);
              searchTimer = setTimeout(() => set("q", value.trim()), 300);
            }}
          />
          <p id="f-q-hint" class="hint">
            The last word may be partial; -word excludes.
          </p>
        </div>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" onChange={(e) => set("status", e.currentTarget.value)}>
            <option value="">Any</option>
            <For each={STATUSES}>
              {(s) => (
                <option value={s} selected={params.status === s}>
                  {STATUS_LABEL[s]}
                </option>
              )}
            </For>
          </select>
        </div>
        <div class="field">
          <label for="f-priority">Priority</label>
          <select id="f-priority" onChange={(e) => set("priority", e.currentTarget.value)}>
            <option value="">Any</option>
            <For each={PRIORITIES}>
              {(p) => (
                <option value={p} selected={params.priority === p}>
                  {PRIORITY_LABEL[p]}
                </option>
              )}
            </For>
          </select>
        </div>
        <div class="field">
          <label for="f-label">Label</label>
          <input
            id="f-label"
            value={params.label ?? ""}
            onChange={(e) => set("label", e.currentTarget.value.trim())}
          />
        </div>
        <div class="field">
          <label for="f-assignee">Assignee</label>
          <select id="f-assignee" onChange={(e) => set("assigneeId", e.currentTarget.value)}>
            <option value="">Anyone</option>
            <For each={ctx.members()}>
              {(m) => (
                <option value={m.userId} selected={params.assigneeId === m.userId}>
                  {m.name}
                </option>
              )}
            </For>
          </select>
        </div>
        <div class="field">
          <label for="f-due-after">Due from</label>
          <input
            id="f-due-after"
            type="date"
            value={params.dueAfter ?? ""}
            onChange={(e) => set("dueAfter", e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="f-due-before">Due until</label>
          <input
            id="f-due-before"
            type="date"
            value={params.dueBefore ?? ""}
            onChange={(e) => set("dueBefore", e.currentTarget.value)}
          />
        </div>
        <Show when={filtered()}>
          <button
            type="button"
            class="btn btn-small clear-filters"
            onClick={() =>
              setParams(
                Object.fromEntries(FILTER_KEYS.filter((k) => k !== "sort").map((k) => [k, undefined])),
              )
            }
          >
            Clear filters
          </button>
        </Show>
      </form>
      <Switch>
        <Match when={page.error}>
          <ErrorView error={page.error} retry={refetch} />
        </Match>
        <Match when={page.latest === undefined}>
          <RowsSkeleton />
        </Match>
        <Match when={rows().length === 0}>
          <Empty title={filtered() ? "No matching tasks" : "No tasks yet"}>
            <p>{filtered() ? "Try other filters." : "Tasks you add on the board appear here."}</p>
          </Empty>
        </Match>
        <Match when={true}>
          <div class="table-wrap">
            <table class="tasks-table" aria-busy={page.loading}>
              <caption class="visually-hidden">Tasks</caption>
              <thead>
                <tr>
                  <For each={SORTABLE.slice(0, 1)}>{(col) => <SortHeader col={col} />}</For>
                  <th scope="col">Status</th>
                  <For each={SORTABLE.slice(1, 3)}>{(col) => <SortHeader col={col} />}</For>
                  <th scope="col">Labels</th>
                  <th scope="col">Assignee</th>
                  <SortHeader col={SORTABLE[3] as { key: string; label: string }} />
                </tr>
              </thead>
              <tbody>
                <For each={rows()}>
                  {(task) => (
                    <tr>
                      <th scope="row">
                        <button type="button" class="link" onClick={() => ctx.openTask({ taskId: task.id })}>
                          {task.title}
                        </button>
                      </th>
                      <td>{STATUS_LABEL[task.status]}</td>
                      <td>
                        <span class={`prio prio-${task.priority}`}>{PRIORITY_LABEL[task.priority]}</span>
                      </td>
                      <td classList={{ overdue: isOverdue(task) }}>{formatDate(task.dueAt)}</td>
                      <td>{task.labels.join(", ")}</td>
                      <td>{memberName(task.assigneeId)}</td>
                      <td>{formatDate(task.updatedAt)}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
          <Show when={cursor()}>
            <button type="button" class="btn load-more" disabled={loadingMore()} onClick={loadMore}>
              {loadingMore() ? "Loading…" : "Load more"}
            </button>
          </Show>
        </Match>
      </Switch>
    </div>
  );

  function SortHeader(props: { col: { key: string; label: string } }) {
    const direction = () =>
      params.sort === props.col.key
        ? "ascending"
        : params.sort === `-${props.col.key}`
          ? "descending"
          : "none";
    return (
      <th scope="col" aria-sort={direction()}>
        <button type="button" class="sort" onClick={() => set("sort", nextSort(params.sort, props.col.key))}>
          {props.col.label}
          <span aria-hidden="true" class="sort-mark">
            {direction() === "ascending" ? "▲" : direction() === "descending" ? "▼" : ""}
          </span>
        </button>
      </th>
    );
  }
}
