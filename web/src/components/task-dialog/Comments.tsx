// The task's comments in the dialog, oldest first (the newest at the end), with relative times. Any
// member comments (viewers too); authors edit their own, owners delete any. Markdown with a preview,
// and @mentions of members with an autocomplete list (arrow keys, Enter or Tab to pick, Escape to close).
import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { live } from "../../api/events";
import { ApiError } from "../../api/http";
import { type Comment, LIMITS, type Member } from "../../api/types";
import { createCommentsStore } from "../../stores/discussion";
import { createWatchStore } from "../../stores/notifications";
import { useProject } from "../../stores/project";
import { useSession } from "../../stores/session";
import { CharCount, charCount } from "../Field";
import { relativeTime } from "../relative-time";
import { Markdown } from "./Markdown";
import { insertMention, mentionQuery } from "./mentions";

/** A Markdown textarea with Write/Preview and member autocomplete. */
function Composer(props: {
  id: string;
  label: string;
  initial?: string;
  submitLabel: string;
  onSubmit: (body: string) => Promise<void>;
  onCancel?: () => void;
}) {
  const ctx = useProject();
  const [text, setText] = createSignal(props.initial ?? "");
  const [preview, setPreview] = createSignal(false);
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal("");
  const [suggest, setSuggest] = createSignal<{ start: number; members: Member[]; active: number } | null>(
    null,
  );
  let area!: HTMLTextAreaElement;

  const update = () => {
    setText(area.value);
    const found = mentionQuery(area.value, area.selectionStart);
    if (!found) return setSuggest(null);
    const query = found.query.toLowerCase();
    const members = ctx.members
      .items()
      .filter((m) => m.name.toLowerCase().includes(query) || m.email.toLowerCase().startsWith(query))
      .slice(0, 6);
    setSuggest(members.length ? { start: found.start, members, active: 0 } : null);
  };
  const pick = (member: Member) => {
    const open = suggest();
    if (!open) return;
    const next = insertMention(area.value, open.start, area.selectionStart, member);
    area.value = next.text;
    setText(next.text);
    area.setSelectionRange(next.caret, next.caret);
    setSuggest(null);
    area.focus();
  };
  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const body = text().trim();
    if (!body) return setError("Write something first.");
    if (charCount(body) > LIMITS.comment) return setError("A comment can have at most 10,000 characters.");
    setBusy(true);
    setError("");
    try {
      await props.onSubmit(body);
      setText("");
      if (area) area.value = "";
      setPreview(false);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 422
          ? (Object.values(err.fields)[0] ?? err.message)
          : "Could not save the comment.",
      );
    } finally {
      setBusy(false);
    }
  };
  const listId = `${props.id}-mentions`;
  const optionId = (index: number) => `${props.id}-mention-${index}`;

  return (
    <form class="composer" onSubmit={submit} noValidate>
      <fieldset class="composer-tabs">
        <legend class="visually-hidden">{props.label}: write or preview</legend>
        <button
          type="button"
          class="btn btn-small"
          aria-pressed={!preview()}
          onClick={() => setPreview(false)}
        >
          Write
        </button>
        <button type="button" class="btn btn-small" aria-pressed={preview()} onClick={() => setPreview(true)}>
          Preview
        </button>
      </fieldset>
      <label for={props.id} class="visually-hidden">
        {props.label}
      </label>
      <textarea
        id={props.id}
        ref={area}
        rows={3}
        hidden={preview()}
        value={text()}
        placeholder="Markdown; @ to mention someone"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={!!suggest()}
        aria-controls={listId}
        aria-activedescendant={suggest() ? optionId(suggest()?.active ?? 0) : undefined}
        aria-describedby={`${props.id}-count`}
        onInput={update}
        onClick={update}
        onKeyDown={(e) => {
          const open = suggest();
          if (open) {
            const count = open.members.length;
            if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              e.preventDefault();
              const step = e.key === "ArrowDown" ? 1 : -1;
              setSuggest({ ...open, active: (open.active + step + count) % count });
              return;
            }
            if (e.key === "Enter" || e.key === "Tab") {
              e.preventDefault();
              const member = open.members[open.active];
              if (member) pick(member);
              return;
            }
            if (e.key === "Escape") {
              e.preventDefault();
              e.stopPropagation();
              setSuggest(null);
              return;
            }
          }
          if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            (e.currentTarget.form as HTMLFormElement).requestSubmit();
          }
        }}
      />
      <div id={listId} role="listbox" class="mention-list" aria-label="Members" hidden={!suggest()}>
        <For each={suggest()?.members ?? []}>
          {(member, index) => (
            <div
              id={optionId(index())}
              role="option"
              tabIndex={-1}
              aria-selected={suggest()?.active === index()}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(member);
              }}
            >
              {member.name} <span class="muted">{member.email}</span>
            </div>
          )}
        </For>
      </div>
      <Show when={preview()}>
        <Show when={text().trim()} fallback={<p class="muted">Nothing to preview.</p>}>
          <Markdown text={text()} class="preview" />
        </Show>
      </Show>
      <CharCount id={`${props.id}-count`} value={text()} max={LIMITS.comment} />
      <Show when={error()}>
        <p class="form-error" role="alert">
          {error()}
        </p>
      </Show>
      <div class="composer-actions">
        <Show when={props.onCancel}>
          <button type="button" class="btn btn-small" onClick={() => props.onCancel?.()}>
            Cancel
          </button>
        </Show>
        <button type="submit" class="btn btn-primary btn-small" disabled={busy()}>
          {props.submitLabel}
        </button>
      </div>
    </form>
  );
}

export function Comments(props: { taskId: string }) {
  const ctx = useProject();
  const session = useSession();
  const store = createCommentsStore(props.taskId, ctx.counts);
  const comments = store.items;
  const [editing, setEditing] = createSignal<string | null>(null);
  const [error, setError] = createSignal("");
  const [now, setNow] = createSignal(Date.now());
  const me = () => session.user()?.id;

  onMount(() => {
    store.load().catch(() => setError("Could not load the comments."));
    const off = live.subscribe((event) => store.apply(event));
    const timer = setInterval(() => setNow(Date.now()), 60_000);
    onCleanup(() => {
      off();
      clearInterval(timer);
    });
  });

  const watch = createWatchStore(props.taskId);
  onMount(() => void watch.load());
  const add = async (body: string) => {
    await store.add(body);
    watch.commented();
  };
  const remove = async (comment: Comment) => {
    setError("");
    try {
      await store.remove(comment.id);
    } catch {
      setError("Could not delete the comment.");
    }
  };

  return (
    <section class="task-part" aria-labelledby="comments-heading">
      <div class="comments-head">
        <h3 id="comments-heading">
          Comments{" "}
          <Show when={comments().length}>
            <span class="badge">{comments().length}</span>
          </Show>
        </h3>
        <Show when={watch.watching() !== undefined}>
          {/* Watchers (and the assignee) are told of every new comment in their inbox. */}
          <button
            type="button"
            class="btn btn-small"
            aria-pressed={watch.watching() === true}
            onClick={() => void watch.toggle()}
          >
            Watch
          </button>
        </Show>
      </div>
      <Show when={error()}>
        <p class="form-error" role="alert">
          {error()}
        </p>
      </Show>
      <ol class="comments">
        <For each={comments()}>
          {(comment) => (
            <li class="comment">
              <div class="comment-head">
                <strong>
                  {ctx.members.nameOf(comment.authorId) ?? comment.authorName ?? "Former member"}
                </strong>
                <time
                  datetime={comment.createdAt}
                  title={new Date(comment.createdAt).toLocaleString()}
                  class="muted"
                >
                  {relativeTime(comment.createdAt, now())}
                </time>
                <Show when={comment.updatedAt !== comment.createdAt}>
                  <span class="muted">(edited)</span>
                </Show>
                <span class="spacer" />
                <Show when={comment.authorId === me() && editing() !== comment.id}>
                  <button type="button" class="btn btn-small" onClick={() => setEditing(comment.id)}>
                    Edit<span class="visually-hidden"> comment</span>
                  </button>
                </Show>
                <Show when={comment.authorId === me() || ctx.isOwner()}>
                  <button type="button" class="btn btn-small" onClick={() => void remove(comment)}>
                    Delete<span class="visually-hidden"> comment</span>
                  </button>
                </Show>
              </div>
              <Show when={editing() === comment.id} fallback={<Markdown text={comment.body} />}>
                <Composer
                  id={`comment-edit-${comment.id}`}
                  label="Edit comment"
                  initial={comment.body}
                  submitLabel="Save comment"
                  onCancel={() => setEditing(null)}
                  onSubmit={async (body) => {
                    await store.edit(comment.id, body);
                    setEditing(null);
                  }}
                />
              </Show>
            </li>
          )}
        </For>
      </ol>
      <Composer id="comment-new" label="New comment" submitLabel="Comment" onSubmit={add} />
    </section>
  );
}
