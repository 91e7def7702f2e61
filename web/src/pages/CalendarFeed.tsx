// Account → Calendar feed: a private URL a calendar app subscribes to (the due dates of one's tasks).
// The URL is shown once, right after it is made: only its hash is kept on the server.
import { createResource, createSignal, Show } from "solid-js";
import { type CalendarFeedStatus, calendarFeedApi } from "../api/calendar-feed";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { relativeTime } from "../components/relative-time";
import { ErrorView, RowsSkeleton } from "../components/States";
import { errorToast, showToast } from "../stores/toast";

type Confirming = "regenerate" | "revoke" | null;

export default function CalendarFeed(props: { client?: typeof calendarFeedApi }) {
  const client = props.client ?? calendarFeedApi;
  const [status, { mutate, refetch }] = createResource(() => client.status());
  /** The URL just made: shown until the page is left. */
  const [url, setUrl] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [confirming, setConfirming] = createSignal<Confirming>(null);
  let urlField: HTMLInputElement | undefined;

  const run = async (what: string, action: () => Promise<void>) => {
    setBusy(true);
    try {
      await action();
    } catch (error) {
      errorToast(error, what);
      void refetch();
    } finally {
      setBusy(false);
    }
  };

  const create = (assignedOnly: boolean) =>
    run("Could not make a feed URL", async () => {
      const { url: made, ...rest } = await client.create(assignedOnly);
      mutate(rest);
      setUrl(made);
      urlField?.focus();
      urlField?.select();
    });

  const setAssignedOnly = (current: CalendarFeedStatus, assignedOnly: boolean) => {
    if (!current.enabled) return mutate({ ...current, assignedOnly });
    return run("The option was not saved", async () => {
      mutate(await client.setAssignedOnly(assignedOnly));
    });
  };

  const revoke = () =>
    run("Could not turn the feed off", async () => {
      await client.revoke();
      setUrl(null);
      mutate({
        enabled: false,
        assignedOnly: status()?.assignedOnly ?? false,
        createdAt: null,
        lastUsedAt: null,
      });
      showToast("Calendar feed turned off: its URL no longer works.", { kind: "success" });
    });

  const copy = async () => {
    const text = url();
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
      showToast("Feed URL copied.", { kind: "success" });
    } catch {
      // No clipboard (an insecure origin, a refused permission): leave it selected for the user.
      urlField?.focus();
      urlField?.select();
      showToast("Select the URL and copy it yourself.", { kind: "error" });
    }
  };

  return (
    <section class="panel" id="calendar-feed" aria-labelledby="calendar-feed-heading">
      <h2 id="calendar-feed-heading">Calendar feed</h2>
      <p class="muted">
        Subscribe to the due dates of your open tasks in a calendar app (Google Calendar, Apple Calendar,
        Outlook…). The URL is private: anyone who has it sees the titles of those tasks, so share it with no
        one; make a new one if it leaks.
      </p>
      <Show when={!status.error} fallback={<ErrorView error={status.error} retry={refetch} />}>
        <Show when={status()} fallback={<RowsSkeleton rows={2} />}>
          {(current) => (
            <div class="stack">
              <p>
                <label>
                  <input
                    type="checkbox"
                    checked={current().assignedOnly}
                    disabled={busy()}
                    onChange={(event) => void setAssignedOnly(current(), event.currentTarget.checked)}
                  />{" "}
                  Only tasks assigned to me
                </label>
              </p>
              <Show
                when={current().enabled}
                fallback={
                  <div class="row row-wrap">
                    <button
                      type="button"
                      class="btn btn-primary"
                      disabled={busy()}
                      onClick={() => void create(current().assignedOnly)}
                    >
                      Create feed URL
                    </button>
                  </div>
                }
              >
                <Show when={url()}>
                  {(made) => (
                    <div class="stack">
                      <label for="calendar-feed-url">
                        Your feed URL (shown only now: copy it into your calendar app)
                      </label>
                      <div class="row">
                        <input
                          id="calendar-feed-url"
                          class="feed-url"
                          ref={urlField}
                          type="text"
                          readOnly
                          value={made()}
                          spellcheck={false}
                          onFocus={(event) => event.currentTarget.select()}
                        />
                        <button type="button" class="btn" onClick={() => void copy()}>
                          Copy<span class="visually-hidden"> feed URL</span>
                        </button>
                      </div>
                    </div>
                  )}
                </Show>
                <p class="muted" data-testid="calendar-feed-state">
                  Feed on since{" "}
                  <time dateTime={current().createdAt ?? ""}>{relativeTime(current().createdAt ?? "")}</time>{" "}
                  ·{" "}
                  {current().lastUsedAt ? (
                    <>
                      last fetched{" "}
                      <time dateTime={current().lastUsedAt ?? ""}>
                        {relativeTime(current().lastUsedAt ?? "")}
                      </time>
                    </>
                  ) : (
                    "not fetched yet"
                  )}
                </p>
                <div class="row row-wrap">
                  <button
                    type="button"
                    class="btn"
                    disabled={busy()}
                    onClick={() => setConfirming("regenerate")}
                  >
                    New URL
                  </button>
                  <button
                    type="button"
                    class="btn btn-danger"
                    disabled={busy()}
                    onClick={() => setConfirming("revoke")}
                  >
                    Turn off
                  </button>
                </div>
              </Show>
            </div>
          )}
        </Show>
      </Show>
      <Show when={confirming() === "regenerate"}>
        <ConfirmDialog
          title="Make a new feed URL?"
          message="The current URL stops working at once: calendars subscribed to it stop updating until you subscribe them to the new one."
          confirmLabel="Make a new URL"
          onConfirm={() => void create(status()?.assignedOnly ?? false)}
          onClose={() => setConfirming(null)}
        />
      </Show>
      <Show when={confirming() === "revoke"}>
        <ConfirmDialog
          title="Turn the calendar feed off?"
          message="Its URL stops working at once. You can make a new one later."
          confirmLabel="Turn off"
          onConfirm={() => void revoke()}
          onClose={() => setConfirming(null)}
        />
      </Show>
    </section>
  );
}
