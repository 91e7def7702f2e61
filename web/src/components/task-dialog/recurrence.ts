// The dialog's "Repeat" choices ⇄ an RFC 5545 RRULE value, through the rrule library (loaded lazily
// with this module: RepeatField imports it when a dialog opens, so it never weighs on the first load).
// Rules the choices cannot show (written through the API) are kept as they are and described.
import { Frequency, type Options, RRule, Weekday } from "rrule";

export const WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"] as const;
export type WeekdayCode = (typeof WEEKDAYS)[number];
export const FREQUENCIES = ["daily", "weekly", "monthly", "yearly"] as const;
export type RepeatFrequency = (typeof FREQUENCIES)[number];
export type RepeatEnd = "never" | "count" | "until";

export interface RepeatChoices {
  frequency: RepeatFrequency | "none";
  /** Every N days/weeks/months/years. */
  interval: number;
  /** Weekly: on these days (none: the due date's weekday). */
  weekdays: WeekdayCode[];
  /** Monthly: on this day of the month (null: the due date's day). */
  monthDay: number | null;
  end: RepeatEnd;
  /** end "count": how many times in all. */
  count: number;
  /** end "until": the last day, YYYY-MM-DD. */
  until: string;
  from: "due" | "completion";
}

export const NO_REPEAT: RepeatChoices = {
  frequency: "none",
  interval: 1,
  weekdays: [],
  monthDay: null,
  end: "never",
  count: 10,
  until: "",
  from: "due",
};

const RRULE_FREQUENCY: Record<RepeatFrequency, Frequency> = {
  daily: Frequency.DAILY,
  weekly: Frequency.WEEKLY,
  monthly: Frequency.MONTHLY,
  yearly: Frequency.YEARLY,
};

/** The rule for the choices (rrule's canonical spelling, without `RRULE:`), null for "none". */
export function toRule(choices: RepeatChoices): { rule: string; from: "due" | "completion" } | null {
  if (choices.frequency === "none") return null;
  const options: Partial<Options> = { freq: RRULE_FREQUENCY[choices.frequency] };
  if (choices.interval > 1) options.interval = Math.floor(choices.interval);
  if (choices.frequency === "weekly" && choices.weekdays.length > 0) {
    options.byweekday = WEEKDAYS.filter((day) => choices.weekdays.includes(day)).map((day) =>
      Weekday.fromStr(day),
    );
  }
  if (choices.frequency === "monthly" && choices.monthDay) options.bymonthday = choices.monthDay;
  if (choices.end === "count") options.count = Math.floor(choices.count);
  // The end of the chosen day, in UTC: the series includes that day.
  if (choices.end === "until" && choices.until) options.until = new Date(`${choices.until}T23:59:59Z`);
  return { rule: RRule.optionsToString(options).replace(/^RRULE:/, ""), from: choices.from };
}

/** The choices that give `rule` back, or undefined when it has parts they cannot show. */
export function fromRule(recurrence: {
  rule: string;
  from: "due" | "completion";
}): RepeatChoices | undefined {
  let options: Partial<Options>;
  try {
    options = RRule.parseString(recurrence.rule);
  } catch {
    return undefined;
  }
  const frequency = FREQUENCIES.find((name) => RRULE_FREQUENCY[name] === options.freq);
  if (!frequency) return undefined;
  const days = [options.byweekday ?? []].flat();
  const monthDays = [options.bymonthday ?? []].flat();
  const choices: RepeatChoices = {
    ...NO_REPEAT,
    frequency,
    interval: options.interval ?? 1,
    weekdays: days.map((day) => (day instanceof Weekday ? day.toString() : String(day)) as WeekdayCode),
    monthDay: typeof monthDays[0] === "number" ? monthDays[0] : null,
    end: options.count ? "count" : options.until ? "until" : "never",
    count: options.count ?? NO_REPEAT.count,
    until: options.until ? options.until.toISOString().slice(0, 10) : "",
    from: recurrence.from,
  };
  // Only what the choices can say: the same rule must come back.
  return toRule(choices)?.rule === recurrence.rule ? choices : undefined;
}

/** "every week on Monday, Wednesday" — rrule's English text, for the dialog and the card's title. */
export function describeRule(rule: string): string {
  try {
    return RRule.fromString(rule).toText();
  } catch {
    return rule;
  }
}
