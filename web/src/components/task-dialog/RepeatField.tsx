// The task dialog's "Repeat" control: how often (daily, weekly on chosen days, monthly on a day,
// yearly, every N …), when it ends (never, after N times, on a date) and what the next date counts
// from. It turns the choices into an RRULE value with the rrule library, which is loaded with this
// control's module only when a dialog opens (the first page never carries it), and puts the rule in
// hidden fields the form reads on submit (readTaskForm).
import { createResource, createSignal, For, Show } from "solid-js";
import type { Task } from "../../api/types";
import { Field, SelectField } from "../Field";
import type { RepeatChoices, RepeatEnd, RepeatFrequency, WeekdayCode } from "./recurrence";

const FREQUENCY_LABEL: Record<RepeatFrequency | "none" | "custom", string> = {
  none: "Does not repeat",
  daily: "Daily",
  weekly: "Weekly",
  monthly: "Monthly",
  yearly: "Yearly",
  custom: "Custom (set elsewhere)",
};
const UNIT: Record<RepeatFrequency, string> = {
  daily: "days",
  weekly: "weeks",
  monthly: "months",
  yearly: "years",
};
const END_LABEL: Record<RepeatEnd, string> = {
  never: "Never",
  count: "After a number of times",
  until: "On a date",
};
const DAY_LABEL: Record<WeekdayCode, string> = {
  MO: "Mon",
  TU: "Tue",
  WE: "Wed",
  TH: "Thu",
  FR: "Fri",
  SA: "Sat",
  SU: "Sun",
};

export function RepeatField(props: { recurrence: Task["recurrence"]; disabled: boolean; error?: string }) {
  const [module] = createResource(() => import("./recurrence"));
  // undefined until the module is here; "custom" for a rule the choices cannot show (kept as it is).
  const [choices, setChoices] = createSignal<RepeatChoices | "custom">();
  const current = () => {
    const loaded = module();
    if (!loaded) return undefined;
    const chosen = choices();
    if (chosen) return chosen;
    if (!props.recurrence) return loaded.NO_REPEAT;
    return loaded.fromRule(props.recurrence) ?? "custom";
  };
  const update = (change: Partial<RepeatChoices>) => {
    const now = current();
    const base = now === "custom" || now === undefined ? module()?.NO_REPEAT : now;
    if (base) setChoices({ ...base, ...change });
  };
  /** The rule to save: the choices', or the custom rule as it was. */
  const rule = () => {
    const now = current();
    if (now === "custom") return props.recurrence ?? null;
    return now ? (module()?.toRule(now) ?? null) : null;
  };
  const field = (name: string) => ({ name, id: `task-${name}`, disabled: props.disabled });

  return (
    <fieldset class="repeat" aria-busy={module.loading}>
      <legend>Repeat</legend>
      <Show when={module() && current()} fallback={<p class="muted">Loading…</p>}>
        {(now) => {
          const frequency = () => {
            const value = now();
            return value === "custom" ? "custom" : value.frequency;
          };
          const chosen = () => now() as RepeatChoices;
          return (
            <>
              {/* What readTaskForm reads: the rule (empty: does not repeat) and what it counts from. */}
              <input type="hidden" name="recurrenceRule" value={rule()?.rule ?? ""} />
              <input type="hidden" name="recurrenceFrom" value={rule()?.from ?? "due"} />
              <div class="grid-2">
                <SelectField
                  label="Repeats"
                  {...field("repeatFrequency")}
                  error={props.error}
                  options={[
                    "none",
                    "daily",
                    "weekly",
                    "monthly",
                    "yearly",
                    ...(frequency() === "custom" ? (["custom"] as const) : []),
                  ]}
                  optionLabel={(option) => FREQUENCY_LABEL[option]}
                  value={frequency()}
                  onChange={(e) => update({ frequency: e.currentTarget.value as RepeatFrequency | "none" })}
                />
                <Show when={frequency() !== "none" && frequency() !== "custom"}>
                  <Field
                    label={`Every … ${UNIT[chosen().frequency as RepeatFrequency]}`}
                    {...field("repeatInterval")}
                    type="number"
                    min={1}
                    value={chosen().interval}
                    onInput={(e) => update({ interval: Math.max(1, Number(e.currentTarget.value) || 1) })}
                  />
                </Show>
              </div>
              <Show when={frequency() === "weekly"}>
                <fieldset class="weekdays">
                  <legend>On</legend>
                  <For each={Object.keys(DAY_LABEL) as WeekdayCode[]}>
                    {(day) => (
                      <label class="weekday">
                        <input
                          type="checkbox"
                          name="repeatWeekday"
                          value={day}
                          disabled={props.disabled}
                          checked={chosen().weekdays.includes(day)}
                          onChange={(e) =>
                            update({
                              weekdays: e.currentTarget.checked
                                ? [...chosen().weekdays, day]
                                : chosen().weekdays.filter((d) => d !== day),
                            })
                          }
                        />
                        {DAY_LABEL[day]}
                      </label>
                    )}
                  </For>
                </fieldset>
              </Show>
              <Show when={frequency() === "monthly"}>
                <Field
                  label="On day of the month"
                  {...field("repeatMonthDay")}
                  type="number"
                  min={1}
                  hint="Empty: the due date's day."
                  value={chosen().monthDay ?? ""}
                  onInput={(e) => {
                    const day = Number(e.currentTarget.value);
                    update({ monthDay: day >= 1 && day <= 31 ? Math.floor(day) : null });
                  }}
                />
              </Show>
              <Show when={frequency() !== "none" && frequency() !== "custom"}>
                <div class="grid-2">
                  <SelectField
                    label="Ends"
                    {...field("repeatEnd")}
                    options={["never", "count", "until"] as const}
                    optionLabel={(end) => END_LABEL[end]}
                    value={chosen().end}
                    onChange={(e) => update({ end: e.currentTarget.value as RepeatEnd })}
                  />
                  <Show when={chosen().end === "count"}>
                    <Field
                      label="Times in all"
                      {...field("repeatCount")}
                      type="number"
                      min={1}
                      value={chosen().count}
                      onInput={(e) =>
                        update({ count: Math.min(1000, Math.max(1, Number(e.currentTarget.value) || 1)) })
                      }
                    />
                  </Show>
                  <Show when={chosen().end === "until"}>
                    <Field
                      label="Last day"
                      {...field("repeatUntil")}
                      type="date"
                      value={chosen().until}
                      onInput={(e) => update({ until: e.currentTarget.value })}
                    />
                  </Show>
                  <SelectField
                    label="Next date counts from"
                    {...field("repeatFrom")}
                    options={["due", "completion"] as const}
                    optionLabel={(from) => (from === "due" ? "The due date" : "When it is done")}
                    value={chosen().from}
                    onChange={(e) => update({ from: e.currentTarget.value as "due" | "completion" })}
                  />
                </div>
              </Show>
              <Show when={rule()}>
                {(set) => (
                  <p class="hint" id="task-repeat-summary">
                    Repeats {module()?.describeRule(set().rule)}. Completing it creates the next one.
                  </p>
                )}
              </Show>
            </>
          );
        }}
      </Show>
    </fieldset>
  );
}
