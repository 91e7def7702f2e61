// Account → Time zone: the zone a repeating task's next date is computed in when you set its repeat
// (a weekly 09:00 stays 09:00 there across daylight-saving changes). Default UTC; this device's zone
// is offered.
import { For, Show } from "solid-js";
import { createPreferencesStore } from "../stores/preferences";
import { errorToast } from "../stores/toast";

const ZONES = Intl.supportedValuesOf("timeZone");
const DEVICE_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

export default function TimeZoneSetting() {
  const store = createPreferencesStore();
  const save = (zone: string) =>
    store
      .update({ timeZone: zone })
      .catch((error: unknown) => errorToast(error, "The time zone was not saved"));
  return (
    <section class="panel" id="time-zone" aria-labelledby="time-zone-heading">
      <h2 id="time-zone-heading">Time zone</h2>
      <Show when={store.preferences()}>
        {(preferences) => (
          <div class="stack narrow">
            <div class="field">
              <label for="time-zone-select">Your time zone</label>
              <select
                id="time-zone-select"
                aria-describedby="time-zone-hint"
                onChange={(event) => void save(event.currentTarget.value)}
              >
                <For each={[...new Set([preferences().timeZone, ...ZONES])]}>
                  {(zone) => (
                    <option value={zone} selected={zone === preferences().timeZone}>
                      {zone.replaceAll("_", " ")}
                    </option>
                  )}
                </For>
              </select>
              <p id="time-zone-hint" class="hint">
                Repeating tasks you set up count their days and times in this zone.
              </p>
            </div>
            <Show when={preferences().timeZone !== DEVICE_ZONE}>
              <p>
                <button type="button" class="btn" onClick={() => void save(DEVICE_ZONE)}>
                  Use this device's zone ({DEVICE_ZONE.replaceAll("_", " ")})
                </button>
              </p>
            </Show>
          </div>
        )}
      </Show>
    </section>
  );
}
