// Account → Mail notifications (/settings#notifications, the link in every mail's footer): the due-date
// reminders, mail on or off altogether, and for each kind of notification whether it is mailed at once,
// in the daily digest, or not at all.
import { For, Show } from "solid-js";
import type { UpdatePreferences } from "../api/preferences";
import type { MailDelivery, NotificationKind } from "../api/types";
import { ErrorView, RowsSkeleton } from "../components/States";
import { createPreferencesStore } from "../stores/preferences";
import { errorToast } from "../stores/toast";

const REMINDERS = [
  { key: "dueSoonReminders", label: "Remind me 24 hours before a task assigned to me is due" },
  { key: "overdueReminders", label: "Remind me when a task assigned to me becomes overdue" },
] as const;

// Records, so the compiler keeps them complete when the API adds a kind or a delivery.
const KIND_LABEL: Record<NotificationKind, string> = {
  assigned: "A task is assigned to me",
  mentioned: "Someone mentions me",
  commented: "A comment on a task I'm assigned to or watch",
  due_soon: "A task of mine is due soon",
  overdue: "A task of mine is overdue",
  added_to_project: "I'm added to a project",
};
const DELIVERY_LABEL: Record<MailDelivery, string> = {
  immediately: "Immediately",
  digest: "Daily digest",
  off: "Off",
};
const KINDS = Object.keys(KIND_LABEL) as NotificationKind[];
const DELIVERIES = Object.keys(DELIVERY_LABEL) as MailDelivery[];

export default function Notifications() {
  const store = createPreferencesStore();
  const change = (changes: UpdatePreferences) =>
    store.update(changes).catch((error: unknown) => errorToast(error, "The preference was not saved"));
  return (
    <section class="panel" id="notifications" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">Mail notifications</h2>
      <Show when={!store.preferences.error} fallback={<ErrorView error={store.preferences.error} />}>
        <Show when={store.preferences()} fallback={<RowsSkeleton rows={4} />}>
          {(preferences) => (
            <>
              <For each={REMINDERS}>
                {(item) => (
                  <p>
                    <label>
                      <input
                        type="checkbox"
                        checked={preferences()[item.key]}
                        onChange={(event) => void change({ [item.key]: event.currentTarget.checked })}
                      />{" "}
                      {item.label}
                    </label>
                  </p>
                )}
              </For>
              <p>
                <label>
                  <input
                    id="mail-enabled"
                    type="checkbox"
                    checked={preferences().mailEnabled}
                    onChange={(event) => void change({ mailEnabled: event.currentTarget.checked })}
                  />{" "}
                  Send me notification mails
                </label>
              </p>
              <fieldset class="mail-kinds" disabled={!preferences().mailEnabled}>
                <legend>Mail me when…</legend>
                <For each={KINDS}>
                  {(kind) => (
                    <div class="mail-kind">
                      <label for={`mail-${kind}`}>{KIND_LABEL[kind]}</label>
                      <select
                        id={`mail-${kind}`}
                        value={preferences().mailDelivery[kind]}
                        onChange={(event) =>
                          void change({ mailDelivery: { [kind]: event.currentTarget.value as MailDelivery } })
                        }
                      >
                        <For each={DELIVERIES}>
                          {(delivery) => <option value={delivery}>{DELIVERY_LABEL[delivery]}</option>}
                        </For>
                      </select>
                    </div>
                  )}
                </For>
                <p class="muted">The daily digest lists what is still unread, once a day.</p>
              </fieldset>
            </>
          )}
        </Show>
      </Show>
    </section>
  );
}
