// The feed's body: an RFC 5545 calendar of tasks, one VEVENT per task, built with ical-generator.
// Pure: the same tasks give the same bytes (DTSTAMP is the task's last change, not "now"), so the
// ETag (hono/etag: a hash of the body) only changes when a task in the feed, or the set of tasks,
// does. No METHOD: without one, DTSTAMP means the same as LAST-MODIFIED (RFC 5545 §3.8.7.2).
//
// A repeating task's event starts at its due date's wall-clock time in the rule's zone (DTSTART;TZID=…
// with that zone's VTIMEZONE), so the calendar app expands the RRULE as the API computes the next
// occurrences (recurrence/rule.ts): a weekly 09:00 Europe/Paris task stays at 09:00 in Paris across the
// DST changes, and BYDAY names the weekdays there.
import { TZDate } from "@date-fns/tz";
import ical from "ical-generator";
import { tzlib_get_ical_block, tzlib_get_timezones } from "timezones-ical-library";

export interface FeedTask {
  id: string;
  projectId: string;
  projectName: string;
  title: string;
  description: string;
  dueAt: Date;
  updatedAt: Date;
  version: number;
  /** An RFC 5545 RRULE value (`FREQ=WEEKLY;BYDAY=MO`, with or without `RRULE:`), for a repeating task. */
  rrule?: string | null;
  /** The IANA zone the rule's days and times are in (tasks.recurrence_time_zone); UTC when absent. */
  timeZone?: string | null;
}

export interface FeedOptions {
  /** Base of the links back to the tasks (PUBLIC_URL, no trailing slash). */
  publicUrl: string;
  /** The calendar's display name in the subscriber's app. */
  name: string;
}

/** Descriptions are cut here: a calendar entry is a pointer to the task, not a copy of it. */
export const DESCRIPTION_LIMIT = 1000;

const FREQ = /(?:^|;)FREQ=(?:SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY)(?:;|$)/;
/** RRULE parts (NAME=value;…): letters, digits, signs, commas; an UNTIL like 20270101T000000Z. */
const RRULE_VALUE = /^[A-Z]+=[A-Z0-9,+-]+(?:;[A-Z]+=[A-Z0-9,+-]+)*$/;

/**
 * The RRULE value to emit, or undefined. ical-generator writes a string rule into the file as it is, so
 * anything but one well-formed rule line (a CR/LF would start a property of its own) is left out.
 * rrule.js's `toString()` form ("DTSTART:…\nRRULE:…") is accepted: the event's own start is DTSTART.
 */
export function rruleValue(rule: string | null | undefined): string | undefined {
  if (!rule || rule.length > 500) return undefined;
  const lines = rule.split(/\r?\n/).filter((line) => line !== "" && !line.startsWith("DTSTART"));
  if (lines.length !== 1) return undefined;
  const value = (lines[0] as string).replace(/^RRULE:/, "");
  return RRULE_VALUE.test(value) && FREQ.test(value) ? value : undefined;
}

/** The zones a VTIMEZONE can be written for (the library's tz data; Intl may know a zone it does not). */
const VTIMEZONES = new Set(tzlib_get_timezones() as string[]);

/** The zone to write a repeating event's start in: null for UTC or a zone without a VTIMEZONE. */
function eventZone(zone: string | null | undefined): string | null {
  return zone && zone !== "UTC" && VTIMEZONES.has(zone) ? zone : null;
}

/** The VTIMEZONE component of a zone, for ical-generator to add once per zone the events use. */
function vtimezone(zone: string): string | null {
  const block = tzlib_get_ical_block(zone);
  return Array.isArray(block) ? (block[0] ?? null) : null;
}

const DAY_MS = 86_400_000;
/**
 * A due date without a time of day is an all-day event: noon UTC is how the web app's date picker stores
 * a date (the calendar view reads it the same way), midnight UTC how API clients often write one.
 */
const isDateOnly = (date: Date) => [0, DAY_MS / 2].includes(((date.getTime() % DAY_MS) + DAY_MS) % DAY_MS);

export function taskUrl(publicUrl: string, task: Pick<FeedTask, "id" | "projectId">): string {
  return `${publicUrl}/projects/${task.projectId}?task=${task.id}`;
}

export function buildCalendar(tasks: readonly FeedTask[], options: FeedOptions): string {
  const host = new URL(options.publicUrl).hostname;
  const calendar = ical({
    name: options.name,
    prodId: { company: "TaskPlatform", product: "calendar-feed", language: "EN" },
    // Calendar apps that honour it poll hourly at most.
    ttl: 3600,
    // No calendar-wide zone (times stay UTC); only the VTIMEZONEs of the repeating events' zones.
    timezone: { name: null, generator: vtimezone },
  });
  for (const task of tasks) {
    const allDay = isDateOnly(task.dueAt);
    const description = [...task.description];
    const rrule = rruleValue(task.rrule);
    const zone = rrule && !allDay ? eventZone(task.timeZone) : null;
    calendar.createEvent({
      id: `${task.id}@${host}`,
      sequence: task.version,
      stamp: task.updatedAt,
      lastModified: task.updatedAt,
      start: zone ? new TZDate(task.dueAt.getTime(), zone) : task.dueAt,
      ...(zone ? { timezone: zone } : {}),
      allDay,
      // All day: the due date's day (DTEND is exclusive). Otherwise a point in time (no DTEND).
      end: allDay ? new Date(task.dueAt.getTime() + 86_400_000) : null,
      summary: task.title,
      description: [
        `Project: ${task.projectName}`,
        description.length > DESCRIPTION_LIMIT
          ? `${description.slice(0, DESCRIPTION_LIMIT - 1).join("")}…`
          : task.description,
      ]
        .filter(Boolean)
        .join("\n\n"),
      url: taskUrl(options.publicUrl, task),
      ...(rrule ? { repeating: rrule } : {}),
    });
  }
  return calendar.toString();
}
