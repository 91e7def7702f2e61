// The inbox: the user's notifications, newest first, each linking to its task (the board opens with
// the task dialog) or project; unread ones marked, read one at a time (or by following the link) or
// all at once. The list and the header's count follow the live events in every tab.
import { A } from "@solidjs/router";
import { createSignal, For, type JSX, Match, onCleanup, onMount, Show, Switch } from "solid-js";
import type { Notification } from "../api/types";
import { relativeTime } from "../components/relative-time";
import { Empty, ErrorView, RowsSkeleton } from "../components/States";
import { type InboxFilter, notificationsStore } from "../stores/notifications";

const excerptOf = (item: Notification) =>
  typeof item.data.excerpt === "string" ? item.data.excerpt : undefined;

/** The sentence of a notification, with the task (or project) as a link. */
function Sentence(props: { item: Notification; link: JSX.Element }) {
  const who = () => <strong>{props.item.actorName ?? "Someone"}</strong>;
  const due = () => (typeof props.item.data.dueAt === "string" ? props.item.data.dueAt : undefined);
  return (
    <Switch>
      <Match when={props.item.kind === "assigned"}>
        {who()} assigned you {props.link}
      </Match>
      <Match when={props.item.kind === "mentioned"}>
        {who()} mentioned you on {props.link}
      </Match>
      <Match when={props.item.kind === "commented"}>
        {who()} commented on {props.link}
      </Match>
      <Match when={props.item.kind === "due_soon"}>
        {props.link} is due {due() ? relativeTime(due() as string) : "soon"}
      </Match>
      <Match when={props.item.kind === "overdue"}>{props.link} is overdue</Match>
      <Match when={props.item.kind === "added_to_project"}>
        {who()} added you to {props.link}
        {typeof props.item.data.role === "string" ? ` as ${props.item.data.role}` : ""}
      </Match>
    </Switch>
  );
}

export default function Inbox() {
  const inbox = notificationsStore();
  const [now, setNow] = createSignal(Date.now());
  onMount(() => {
    document.title = "Notifications · TaskPlatform";
    void inbox.load();
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    onCleanup(() => {
      clearInterval(timer);
      document.title = "TaskPlatform";
    });
  });
  const show = (filter: InboxFilter) => void inbox.load(filter);
  const href = (item: Notification) =>
    item.taskId ? `/projects/${item.projectId}?task=${item.taskId}` : `/projects/${item.projectId}`;
  const open = (item: Notification) => {
    if (!item.readAt) void inbox.markRead(item.id);
  };

  return (
    <div class="settings inbox-page">
      <div class="panel-head">
        <h1>Notifications</h1>
        <button
          type="button"
          class="btn btn-small"
          disabled={inbox.unread() === 0}
          onClick={() => void inbox.markAllRead()}
        >
          Mark all as read
        </button>
      </div>
      <fieldset class="inbox-filter">
        <legend class="visually-hidden">Show</legend>
        <button
          type="button"
          class="btn btn-small"
          aria-pressed={inbox.filter() === "all"}
          onClick={() => show("all")}
        >
          All
        </button>
        <button
          type="button"
          class="btn btn-small"
          aria-pressed={inbox.filter() === "unread"}
          onClick={() => show("unread")}
        >
          Unread ({inbox.unread()})
        </button>
      </fieldset>
      <Switch>
        <Match when={inbox.state() === "loading" || inbox.state() === "idle"}>
          <RowsSkeleton rows={4} />
        </Match>
        <Match when={inbox.state() === "error"}>
          <ErrorView error={inbox.error()} retry={() => void inbox.load()} />
        </Match>
        <Match when={inbox.items.length === 0}>
          <Empty title={inbox.filter() === "unread" ? "You're all caught up" : "No notifications yet"}>
            <p class="muted">
              You hear here when someone assigns you a task, mentions you, comments on a task you follow, or
              adds you to a project.
            </p>
          </Empty>
        </Match>
        <Match when={true}>
          <ol class="inbox" aria-label="Notifications">
            <For each={inbox.items}>
              {(item) => (
                <li class="inbox-item" classList={{ unread: !item.readAt }}>
                  <span class="inbox-dot" aria-hidden="true" />
                  <div class="inbox-body">
                    <p class="inbox-text">
                      <Show when={!item.readAt}>
                        <span class="visually-hidden">Unread: </span>
                      </Show>
                      <Sentence
                        item={item}
                        link={
                          <A href={href(item)} onClick={() => open(item)}>
                            {item.taskTitle ?? item.projectName}
                          </A>
                        }
                      />
                    </p>
                    <Show when={excerptOf(item)}>{(text) => <p class="inbox-excerpt">{text()}</p>}</Show>
                    <p class="muted inbox-meta">
                      <Show when={item.taskId}>{item.projectName} · </Show>
                      <time datetime={item.createdAt} title={new Date(item.createdAt).toLocaleString()}>
                        {relativeTime(item.createdAt, now())}
                      </time>
                    </p>
                  </div>
                  <Show when={!item.readAt}>
                    <button
                      type="button"
                      class="btn btn-small btn-ghost"
                      onClick={() => void inbox.markRead(item.id)}
                    >
                      Mark read
                      <span class="visually-hidden">: {item.taskTitle ?? item.projectName}</span>
                    </button>
                  </Show>
                </li>
              )}
            </For>
          </ol>
          <Show when={inbox.hasMore()}>
            <button type="button" class="btn btn-small" onClick={() => void inbox.more()}>
              Show older notifications
            </button>
          </Show>
        </Match>
      </Switch>
    </div>
  );
}
