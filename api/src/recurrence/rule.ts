// Recurrence rules: RFC 5545 RRULE values, parsed, checked and iterated by the rrule library; time
// zones by @date-fns/tz. Pure functions (no I/O), so the API's validation and the completion's "next
// occurrence" are unit-tested here (rule.test.ts) and used by the service.
//
// Occurrences are computed on wall-clock times in the task's zone: the anchor instant becomes its
// local date and time (a "floating" Date whose UTC fields are the wall clock), rrule iterates those,
// and the result becomes an instant in the zone again. So a weekly 09:00 Europe/Paris task stays
// 09:00 in Paris across the DST changes (its UTC time moves by an hour).
import { TZDate } from "@date-fns/tz";
import type { Options } from "rrule";

// rrule (and its tslib) cost ~10 ms of CPU at every start, for a task that repeats: loaded by the first
// rule parsed instead. require(), not import(): parseRule stays synchronous (zod refinements call it).
let rruleModule: typeof import("rrule") | undefined;
const rrule = () => (rruleModule ??= require("rrule") as typeof import("rrule"));

/** rrule's own serialisation of the options, without the `RRULE:` prefix. */
function ruleText(options: Partial<Options>): string {
  const { RRule } = rrule();
  return RRule.optionsToString(options).replace(/^RRULE:/, "");
}

export const RECURRENCE_ANCHORS = ["due", "completion"] as const;
export type RecurrenceAnchor = (typeof RECURRENCE_ANCHORS)[number];

export interface Recurrence {
  /** An RRULE value without DTSTART: FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4. COUNT is what remains of the
   * series, this task included. */
  rule: string;
  /** What the next occurrence counts from: this task's due date, or the moment it was completed. */
  from: RecurrenceAnchor;
  /** IANA zone the rule's days and times are in. */
  timeZone: string;
}

export const MAX_RULE_LENGTH = 500;
export const MAX_COUNT = 1000;
export const MAX_INTERVAL = 999;
/** How far ahead a next occurrence is looked for: rules that never match stop here, not at year 9999. */
const HORIZON_YEARS = 30;

/**
 * The parts a task's rule may have, by frequency. No BYHOUR/BYMINUTE/BYSECOND (several a day) nor
 * DTSTART/TZID (the task's due date and zone are the anchor). The BY parts are those whose
 * combinations either always match some day (DAILY, WEEKLY) or are checked quickly (MONTHLY,
 * YEARLY): rrule looks for a match of a rule that has none until the year 9999, which takes seconds
 * for a daily rule and is refused here instead.
 */
const COMMON_PARTS = ["FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST"];
const PARTS_BY_FREQUENCY: Record<string, Set<string>> = {
  DAILY: new Set([...COMMON_PARTS, "BYDAY"]),
  WEEKLY: new Set([...COMMON_PARTS, "BYDAY"]),
  MONTHLY: new Set([...COMMON_PARTS, "BYDAY", "BYMONTHDAY", "BYSETPOS"]),
  YEARLY: new Set([...COMMON_PARTS, "BYDAY", "BYMONTHDAY", "BYMONTH"]),
};

/** An IANA zone name as Intl knows it (canonical spelling), or undefined. */
export function canonicalTimeZone(name: string): string | undefined {
  // Names only: Intl also takes offsets such as +01:00, which have no DST rules to follow.
  if (name.length > 64 || !/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(name)) return undefined;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const between = (values: number[] | number | null | undefined, low: number, high: number) =>
  [values ?? []]
    .flat()
    .every((value) => Number.isInteger(value) && value !== 0 && value >= low && value <= high);

/** Problems with parsed options that rrule accepts silently. */
function optionProblem(options: Partial<Options>): string | undefined {
  const { interval, count, until, byweekday, bymonthday, bymonth, bysetpos } = options;
  if (interval !== undefined && !(Number.isInteger(interval) && interval >= 1 && interval <= MAX_INTERVAL))
    return `INTERVAL must be a whole number from 1 to ${MAX_INTERVAL}`;
  if (count !== undefined && count !== null && !(Number.isInteger(count) && count >= 1 && count <= MAX_COUNT))
    return `COUNT must be a whole number from 1 to ${MAX_COUNT}`;
  if (count != null && until != null) return "give COUNT or UNTIL, not both";
  if (until != null && (Number.isNaN(until.getTime()) || until.getUTCFullYear() > 9999))
    return "UNTIL must be a date such as 20261231T235959Z";
  if ([byweekday ?? []].flat().some((day) => day === undefined || day === null))
    return "BYDAY takes weekdays such as MO,WE or 1MO";
  if (!between(bymonthday, -31, 31)) return "BYMONTHDAY takes days from 1 to 31 (or -31 to -1)";
  if (!between(bymonth, 1, 12)) return "BYMONTH takes months from 1 to 12";
  if (!between(bysetpos, -5, 5)) return "BYSETPOS takes positions from 1 to 5 (or -5 to -1)";
  const ordinal = [byweekday ?? []].flat().some((day) => typeof day === "object" && day?.n);
  const { Frequency } = rrule();
  if (ordinal && options.freq !== Frequency.MONTHLY && options.freq !== Frequency.YEARLY)
    return "weekdays with a number (1MO, -1FR) need FREQ=MONTHLY or FREQ=YEARLY";
  return undefined;
}

/**
 * The rule in canonical form (rrule's own serialisation, without the `RRULE:` prefix), or a sentence
 * saying what is wrong with it. Accepts the value with or without `RRULE:`, in any case.
 */
export function parseRule(text: string): { rule: string; options: Partial<Options> } | { error: string } {
  const value = text
    .trim()
    .replace(/^RRULE:/i, "")
    .toUpperCase();
  if (value.length === 0) return { error: "is empty: give a rule such as FREQ=WEEKLY;BYDAY=MO" };
  if (value.length > MAX_RULE_LENGTH) return { error: `must be at most ${MAX_RULE_LENGTH} characters` };
  if (!/^[A-Z0-9=;,+-]+$/.test(value))
    return { error: "may hold only letters, digits and = ; , + - (an RRULE value such as FREQ=DAILY)" };
  const parts = new Map<string, string>();
  for (const part of value.split(";")) {
    const [name, setting, extra] = part.split("=");
    if (!name || !setting || extra !== undefined)
      return { error: `"${part.slice(0, 40)}" is not a NAME=VALUE part` };
    if (parts.has(name)) return { error: `${name} appears twice` };
    parts.set(name, setting);
  }
  const frequency = parts.get("FREQ");
  if (!frequency) return { error: "needs a FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)" };
  const allowed = PARTS_BY_FREQUENCY[frequency];
  if (!allowed)
    return { error: `FREQ=${frequency.slice(0, 20)} is not supported: use DAILY, WEEKLY, MONTHLY or YEARLY` };
  for (const name of parts.keys()) {
    if (!allowed.has(name)) return { error: `${name.slice(0, 40)} is not supported with FREQ=${frequency}` };
  }
  let options: Partial<Options>;
  try {
    options = rrule().RRule.parseString(value);
  } catch (error) {
    return { error: `is not a valid RRULE: ${(error as Error).message}` };
  }
  const problem = optionProblem(options);
  if (problem) return { error: problem };
  // A rule whose parts never meet (BYMONTH=2;BYMONTHDAY=30) would never give a next occurrence.
  const reference = new Date(Date.UTC(2001, 0, 1, 9));
  if (!iterate({ ...options, interval: 1, count: null, until: null }, reference, reference))
    return { error: "never repeats: its parts exclude every date" };
  return { rule: ruleText(options), options };
}

/** The wall-clock time of `instant` in `timeZone`, as a floating Date (UTC fields = local fields). */
function toFloating(instant: Date, timeZone: string, timeOf: Date = instant): Date {
  const day = new TZDate(instant.getTime(), timeZone);
  const time = new TZDate(timeOf.getTime(), timeZone);
  return new Date(
    Date.UTC(
      day.getFullYear(),
      day.getMonth(),
      day.getDate(),
      time.getHours(),
      time.getMinutes(),
      time.getSeconds(),
    ),
  );
}

/** The instant when the floating wall-clock time `floating` happens in `timeZone` (a time skipped by
 * a DST change moves forward, as the zone's clocks do). */
function fromFloating(floating: Date, timeZone: string): Date {
  const zoned = new TZDate(
    floating.getUTCFullYear(),
    floating.getUTCMonth(),
    floating.getUTCDate(),
    floating.getUTCHours(),
    floating.getUTCMinutes(),
    floating.getUTCSeconds(),
    timeZone,
  );
  return new Date(zoned.getTime());
}

/** The first occurrence strictly after `after` of the rule started at `start` (floating dates), within
 * the horizon (and UNTIL, when the rule has one). */
function iterate(options: Partial<Options>, start: Date, after: Date): Date | null {
  const horizon = new Date(start);
  horizon.setUTCFullYear(horizon.getUTCFullYear() + HORIZON_YEARS);
  const until = options.until && options.until < horizon ? options.until : horizon;
  return new (rrule().RRule)({ ...options, dtstart: start, until, count: null }).after(after, false);
}

/**
 * The next occurrence of a repeating task completed at `completedAt`: its due date and the rule it
 * carries (COUNT one less), or null when the series is over (COUNT reached, UNTIL passed).
 * From "due" it follows the task's due date (so a late completion keeps the schedule); from
 * "completion" (or with no due date) it counts from the completion's day, at the due date's time of
 * day when there is one.
 */
export function nextOccurrence(
  recurrence: Recurrence,
  task: { dueAt: Date | null; completedAt: Date },
): { dueAt: Date; rule: string } | null {
  const parsed = parseRule(recurrence.rule);
  if ("error" in parsed) return null;
  const { options } = parsed;
  if (options.count != null && options.count <= 1) return null;
  const { timeZone } = recurrence;
  const start =
    recurrence.from === "due" && task.dueAt
      ? toFloating(task.dueAt, timeZone)
      : toFloating(task.completedAt, timeZone, task.dueAt ?? task.completedAt);
  const until = options.until ? toFloating(options.until, timeZone) : null;
  const next = iterate({ ...options, until }, start, start);
  if (!next) return null;
  const count = options.count != null ? options.count - 1 : null;
  return {
    dueAt: fromFloating(next, timeZone),
    rule: ruleText({ ...options, count }),
  };
}
