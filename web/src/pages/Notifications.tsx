// Account → Mail notifications: the switches every reminder mail links to (/settings#notifications).
import { For, Show } from "solid-js";
import { ErrorView, RowsSkeleton } from "../components/States";
import { createPreferencesStore } from "../stores/preferences";
import { errorToast } from "../stores/toast";

type MailSwitch = "dueSoonReminders" | "overdueReminders";
const SWITCHES: { key: MailSwitch; label: string }[] = [
  { key: "dueSoonReminders", label: "Mail me 24 hours before a task assigned to me is due" },
  { key: "overdueReminders", label: "Mail me when a task assigned to me becomes overdue" },
];

export default function Notifications() {
  const store = createPreferencesStore();
  const change = (key: MailSwitch, value: boolean) =>
    store.set(key, value).catch((error: unknown) => errorToast(error, "The preference was not saved"));
  return (
    <section class="panel" id="notifications" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">Mail notifications</h2>
      <Show when={!store.preferences.error} fallback={<ErrorView error={store.preferences.error} />}>
        <Show when={store.preferences()} fallback={<RowsSkeleton rows={2} />}>
          {(preferences) => (
            <For each={SWITCHES}>
              {(item) => (
                <p>
                  <label>
                    <input
                      type="checkbox"
                      checked={preferences()[item.key]}
                      onChange={(event) => void change(item.key, event.currentTarget.checked)}
                    />{" "}
                    {item.label}
                  </label>
                </p>
              )}
            </For>
          )}
        </Show>
      </Show>
    </section>
  );
}
