// List view: server-side filters, full-text search and sort, all kept in the URL so a view can be
// bookmarked or shared. Rows show the freshest copy from the board store; live events refetch.
import { useSearchParams } from "@solidjs/router";
import { For, Match, Show, Switch } from "solid-js";
import { PRIORITIES, PRIORITY_LABEL, STATUS_LABEL, STATUSES, type Task } from "../api/types";
import { Field, SelectField } from "../components/Field";
import { Empty, ErrorView, RowsSkeleton } from "../components/States";
import { DiscussionBadges, formatDate, isOverdue } from "../components/TaskCard";
import { useProject } from "../stores/project";
import { createTaskListStore, type TaskQuery } from "../stores/task-list";

export const FILTER_KEYS = [
  "status",
  "priority",
  "label",
  "assigneeId",
  "dueAfter",
  "dueBefore",
  "q",
  "archived",
  "hasOpenChecklist",
  "sort",
] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

/** The archived filter (the API's default, archived=false, is "Hidden"). */
const ARCHIVED_OPTIONS = ["include", "true"] as const;
const ARCHIVED_LABEL: Record<(typeof ARCHIVED_OPTIONS)[number], string> = {
  include: "Included",
  true: "Only archived",
};

/** The checklist filter (none: any task). */
const CHECKLIST_OPTIONS = ["true", "false"] as const;
const CHECKLIST_LABEL: Record<(typeof CHECKLIST_OPTIONS)[number], string> = {
  true: "Open items",
  false: "None open",
};

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

  const query = () => {
    const q: TaskQuery = { projectId: ctx.project().id, limit: "50" };
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
  const list = createTaskListStore(() => ctx.project().id, query);
  // The board's copy of a task is the freshest (optimistic edits, live events); archived tasks are
  // not on the board.
  const rows = () =>
    list
      .items()
      .map((row) => (ctx.tasks.state() === "ready" && !row.archivedAt ? ctx.tasks.byId(row.id) : row))
      .filter((row): row is Task => !!row)
      .filter((row, i, all) => all.findIndex((r) => r.id === row.id) === i);
  const set = (key: FilterKey, value: string) => setParams({ [key]: value || undefined });
  /** Id, value and change handler of the control that sets filter `key`. */
  const filterControl = (key: FilterKey, id: string) => ({
    id,
    get value() {
      return params[key] ?? "";
    },
    onChange: (e: Event & { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
      set(key, e.currentTarget.value.trim()),
  });
  let searchTimer: ReturnType<typeof setTimeout> | undefined;
  const filtered = () => FILTER_KEYS.some((k) => k !== "sort" && params[k]);

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
        <SelectField
          label="Status"
          {...filterControl("status", "f-status")}
          none="Any"
          options={STATUSES}
          optionLabel={(status) => STATUS_LABEL[status]}
        />
        <SelectField
          label="Priority"
          {...filterControl("priority", "f-priority")}
          none="Any"
          options={PRIORITIES}
          optionLabel={(priority) => PRIORITY_LABEL[priority]}
        />
        <Field label="Label" {...filterControl("label", "f-label")} />
        <SelectField
          label="Assignee"
          {...filterControl("assigneeId", "f-assignee")}
          none="Anyone"
          options={ctx.members.items().map((m) => m.userId)}
          optionLabel={(userId) => ctx.members.nameOf(userId) ?? ""}
        />
        <SelectField
          label="Archived"
          {...filterControl("archived", "f-archived")}
          none="Hidden"
          options={ARCHIVED_OPTIONS}
          optionLabel={(option) => ARCHIVED_LABEL[option]}
        />
        <SelectField
          label="Checklist"
          {...filterControl("hasOpenChecklist", "f-checklist")}
          none="Any"
          options={CHECKLIST_OPTIONS}
          optionLabel={(option) => CHECKLIST_LABEL[option]}
        />
        <Field label="Due from" type="date" {...filterControl("dueAfter", "f-due-after")} />
        <Field label="Due until" type="date" {...filterControl("dueBefore", "f-due-before")} />
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
        <Match when={list.page.error}>
          <ErrorView error={list.page.error} retry={list.refetch} />
        </Match>
        <Match when={list.page.latest === undefined}>
          <RowsSkeleton />
        </Match>
        <Match when={rows().length === 0}>
          <Empty title={filtered() ? "No matching tasks" : "No tasks yet"}>
            <p>{filtered() ? "Try other filters." : "Tasks you add on the board appear here."}</p>
          </Empty>
        </Match>
        <Match when={true}>
          <div class="table-wrap">
            <table class="tasks-table" aria-busy={list.page.loading}>
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
                        <Show
                          when={!task.archivedAt}
                          fallback={
                            <span>
                              {task.title} <span class="badge">archived</span>
                            </span>
                          }
                        >
                          <button
                            type="button"
                            class="link"
                            onClick={() => ctx.openTask({ taskId: task.id })}
                          >
                            {task.title}
                          </button>
                          <DiscussionBadges counts={ctx.counts?.of(task.id)} />
                        </Show>
                      </th>
                      <td>{STATUS_LABEL[task.status]}</td>
                      <td>
                        <span class={`prio prio-${task.priority}`}>{PRIORITY_LABEL[task.priority]}</span>
                      </td>
                      <td classList={{ overdue: isOverdue(task) }}>{formatDate(task.dueAt)}</td>
                      <td>
                        <span class="labels">
                          <For each={task.labels}>
                            {(label) => (
                              <span class={`label chip-${ctx.labels.colorOf(label)}`}>{label}</span>
                            )}
                          </For>
                        </span>
                      </td>
                      <td>{ctx.members.nameOf(task.assigneeId) ?? ""}</td>
                      <td>{formatDate(task.updatedAt)}</td>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
          <Show when={list.hasMore()}>
            <button type="button" class="btn load-more" disabled={list.loadingMore()} onClick={list.loadMore}>
              {list.loadingMore() ? "Loading…" : "Load more"}
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
