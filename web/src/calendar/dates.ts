// Calendar arithmetic. Weeks start on Monday (ISO 8601) whatever the locale; names of months and
// days come from Intl in the browser's language. A day shown is a calendar date only, built with
// `new Date(y, m, d)` (so day arithmetic never meets a DST change); instants are placed on days in
// the user's time zone (their account setting, which may differ from the browser's), through
// @date-fns/tz as the API's recurrence does: a task is on the day it is due there, a view's window
// runs from that zone's midnights, and a due date moved to another day keeps its time of day there.
import { TZDate } from "@date-fns/tz";

/** A local calendar day, "YYYY-MM-DD". */
export type DayKey = string;
export type CalendarView = "month" | "week";

const pad = (n: number) => String(n).padStart(2, "0");

export const dayKey = (date: Date): DayKey =>
  `${String(date.getFullYear()).padStart(4, "0")}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;

/** Local midnight of a day; undefined for anything that is not a real "YYYY-MM-DD" day. */
export function parseDayKey(key: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  const date = new Date(year, month, day);
  date.setFullYear(year); // years 0–99 would otherwise mean 1900–1999
  return date.getMonth() === month && date.getDate() === day ? date : undefined;
}

export const addDays = (date: Date, days: number) =>
  new Date(date.getFullYear(), date.getMonth(), date.getDate() + days);

/** The same day of the month `months` later, or that month's last day (31 Jan + 1 → 28/29 Feb). */
export function addMonths(date: Date, months: number): Date {
  const first = new Date(date.getFullYear(), date.getMonth() + months, 1);
  const last = new Date(first.getFullYear(), first.getMonth() + 1, 0).getDate();
  return new Date(first.getFullYear(), first.getMonth(), Math.min(date.getDate(), last));
}

/** Monday of the date's week. */
export const startOfWeek = (date: Date) => addDays(date, -((date.getDay() + 6) % 7));

/** The days a view shows, in weeks of seven: a month's weeks (4–6, Monday first) or one week. */
export function viewWeeks(view: CalendarView, cursor: Date): Date[][] {
  const start = startOfWeek(view === "week" ? cursor : new Date(cursor.getFullYear(), cursor.getMonth(), 1));
  const end =
    view === "week"
      ? addDays(start, 7)
      : addDays(startOfWeek(new Date(cursor.getFullYear(), cursor.getMonth() + 1, 0)), 7);
  const weeks: Date[][] = [];
  for (let day = start; day < end; day = addDays(day, 7))
    weeks.push(Array.from({ length: 7 }, (_, i) => addDays(day, i)));
  return weeks;
}

/** The window of instants a view covers: [first day's midnight, the day after the last one's). */
export function viewWindow(view: CalendarView, cursor: Date): { from: Date; to: Date } {
  const weeks = viewWeeks(view, cursor);
  const first = weeks[0]?.[0] ?? cursor;
  const last = weeks.at(-1)?.at(-1) ?? cursor;
  return { from: first, to: addDays(last, 1) };
}

/** The task dialog's date-only due dates are stored at noon UTC: those show no time of day. */
export const isDateOnly = (dueAt: string) => dueAt.endsWith("T12:00:00.000Z");

/** Where a due date's day is read: a date-only one is a UTC date in every zone. */
const zoneOf = (dueAt: string, zone: string) => (isDateOnly(dueAt) ? "UTC" : zone);

/** `dueAt` moved to `day`, at the same time of day in `zone` (a date-only one stays date-only). */
export function onDay(dueAt: string, day: DayKey, userZone: string): string {
  const zone = zoneOf(dueAt, userZone);
  const time = new TZDate(dueAt, zone);
  const date = parseDayKey(day);
  if (!date) throw new RangeError(`not a day: ${day}`);
  const moved = new TZDate(date.getFullYear(), date.getMonth(), date.getDate(), zone);
  moved.setHours(time.getHours(), time.getMinutes(), time.getSeconds(), time.getMilliseconds());
  return new Date(moved.getTime()).toISOString();
}

/** The day a due date falls on in `zone`. */
export const dayOf = (dueAt: string, zone: string): DayKey => dayKey(new TZDate(dueAt, zoneOf(dueAt, zone)));

/** Today in `zone`. */
export const today = (zone: string): DayKey => dayKey(new TZDate(Date.now(), zone));

/** The instant a day begins in `zone`, with that zone's offset, e.g. 2026-12-01T00:00:00.000+01:00 (the API's window). */
export const startOfDayIn = (day: Date, zone: string): string =>
  new TZDate(day.getFullYear(), day.getMonth(), day.getDate(), zone).toISOString();

const formats = {
  month: new Intl.DateTimeFormat(undefined, { month: "long", year: "numeric" }),
  weekday: new Intl.DateTimeFormat(undefined, { weekday: "short" }),
  day: new Intl.DateTimeFormat(undefined, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
  }),
  shortDay: new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" }),
};
const timeFormats = new Map<string, Intl.DateTimeFormat>();

export const formatMonth = (date: Date) => formats.month.format(date);
export const formatWeekday = (date: Date) => formats.weekday.format(date);
/** "Tuesday, 15 December 2026" (in the browser's language and order). */
export const formatDay = (date: Date) => formats.day.format(date);
export const formatShortDay = (date: Date) => formats.shortDay.format(date);
/** The time of day of an instant in `zone`. */
export function formatTime(iso: string, zone: string): string {
  let format = timeFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit", timeZone: zone });
    timeFormats.set(zone, format);
  }
  return format.format(new Date(iso));
}
/** "1 Dec – 7 Dec 2026": a week view's title. */
export const formatRange = (from: Date, to: Date) => formats.shortDay.formatRange(from, to);
