import { describe, expect, test } from "bun:test";
import {
  addDays,
  addMonths,
  dayKey,
  dayOf,
  onDay,
  parseDayKey,
  startOfDayIn,
  startOfWeek,
  today,
  viewWeeks,
  viewWindow,
} from "./dates";

const keys = (weeks: Date[][]) => weeks.map((week) => week.map(dayKey));

describe("calendar days", () => {
  test("a month's weeks start on Monday and cover the month: December 2026 (Tuesday 1st, Thursday 31st)", () => {
    const weeks = keys(viewWeeks("month", new Date(2026, 11, 15)));
    expect(weeks).toHaveLength(5);
    expect(weeks[0]?.[0]).toBe("2026-11-30");
    expect(weeks[0]?.[1]).toBe("2026-12-01");
    expect(weeks.at(-1)?.at(-1)).toBe("2027-01-03");
    expect(weeks.every((week) => week.length === 7)).toBe(true);
  });

  test("a month starting on Monday has no leading days; February 2027 fits in 4 weeks", () => {
    expect(keys(viewWeeks("month", new Date(2027, 1, 10)))).toHaveLength(4);
    expect(keys(viewWeeks("month", new Date(2027, 1, 10)))[0]?.[0]).toBe("2027-02-01");
    // March 2026 begins on Sunday and ends on Tuesday: six weeks, the longest any month needs.
    expect(keys(viewWeeks("month", new Date(2026, 2, 1)))).toHaveLength(6);
  });

  test("a week is Monday to Sunday, even from a Sunday", () => {
    expect(keys(viewWeeks("week", new Date(2026, 11, 6)))).toEqual([
      ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05", "2026-12-06"],
    ]);
    expect(dayKey(startOfWeek(new Date(2026, 11, 7)))).toBe("2026-12-07");
  });

  test("the window runs from the first day's midnight to the midnight after the last, ≤ 42 days", () => {
    const { from, to } = viewWindow("month", new Date(2026, 2, 1));
    expect(dayKey(from)).toBe("2026-02-23");
    expect(dayKey(to)).toBe("2026-04-06");
    expect(from.getHours()).toBe(0);
    expect(Math.round((to.getTime() - from.getTime()) / 86_400_000)).toBe(42);
  });

  test("adding days and months stays on calendar days; the 31st becomes the month's last day", () => {
    expect(dayKey(addDays(new Date(2026, 11, 31), 1))).toBe("2027-01-01");
    expect(dayKey(addMonths(new Date(2027, 0, 31), 1))).toBe("2027-02-28");
    expect(dayKey(addMonths(new Date(2026, 0, 15), -1))).toBe("2025-12-15");
  });

  test("parseDayKey takes real days only", () => {
    expect(parseDayKey("2026-02-29")).toBeUndefined();
    expect(parseDayKey("2028-02-29")).toBeInstanceOf(Date);
    expect(parseDayKey("2026-13-01")).toBeUndefined();
    expect(parseDayKey("2026-1-01")).toBeUndefined();
    expect(parseDayKey("")).toBeUndefined();
    expect(dayKey(parseDayKey("0042-03-04") as Date)).toBe("0042-03-04");
  });

  test("moving a due date to another day keeps its time of day in the user's zone", () => {
    const due = "2026-12-15T19:30:05.250Z"; // 14:30:05.250 in New York
    const moved = onDay(due, "2026-12-18", "America/New_York");
    expect(moved).toBe("2026-12-18T19:30:05.250Z");
    expect(dayOf(moved, "America/New_York")).toBe("2026-12-18");
    // 04:30 on the 16th in Tokyo: 04:30 on the 18th there is 19:30Z on the 17th.
    expect(onDay(due, "2026-12-18", "Asia/Tokyo")).toBe("2026-12-17T19:30:05.250Z");
    expect(dayOf(onDay(due, "2027-06-01", "Asia/Tokyo"), "Asia/Tokyo")).toBe("2027-06-01");
    expect(() => onDay(due, "tomorrow", "UTC")).toThrow(RangeError);
  });

  test("a task is on the day it is due in the user's zone, not the browser's", () => {
    withBrowserZone("America/Los_Angeles", () => {
      const lateEvening = "2026-12-15T23:30:00Z";
      expect(dayOf(lateEvening, "UTC")).toBe("2026-12-15");
      expect(dayOf(lateEvening, "Europe/Berlin")).toBe("2026-12-16");
      expect(dayOf(lateEvening, "America/Los_Angeles")).toBe("2026-12-15");
      expect(dayOf(lateEvening, "Pacific/Auckland")).toBe("2026-12-16");
      // A date-only due date (noon UTC) is its date everywhere, from UTC+14 to UTC−11.
      expect(dayOf("2026-12-15T12:00:00.000Z", "Pacific/Kiritimati")).toBe("2026-12-15");
      expect(dayOf("2026-12-15T12:00:00.000Z", "Pacific/Pago_Pago")).toBe("2026-12-15");
      expect(onDay("2026-12-15T12:00:00.000Z", "2026-12-20", "Pacific/Kiritimati")).toBe(
        "2026-12-20T12:00:00.000Z",
      );
    });
  });

  test("across a DST change (Berlin, 29 March 2026) in a browser elsewhere: days, windows and times of day hold", () => {
    withBrowserZone("America/New_York", () => {
      const zone = "Europe/Berlin";
      // Around the change's night: 23:59 on the 28th and 00:30 on the 29th, Berlin time.
      expect(dayOf("2026-03-28T22:59:00Z", zone)).toBe("2026-03-28");
      expect(dayOf("2026-03-28T23:30:00Z", zone)).toBe("2026-03-29");
      // 09:00 winter time (08:00Z), moved past the change: 09:00 summer time (07:00Z).
      expect(onDay("2026-03-28T08:00:00.000Z", "2026-03-30", zone)).toBe("2026-03-30T07:00:00.000Z");
      const { from, to } = viewWindow("week", new Date(2026, 2, 25));
      expect(startOfDayIn(from, zone)).toBe("2026-03-23T00:00:00.000+01:00");
      expect(startOfDayIn(to, zone)).toBe("2026-03-30T00:00:00.000+02:00");
      expect((Date.parse(startOfDayIn(to, zone)) - Date.parse(startOfDayIn(from, zone))) / 3_600_000).toBe(
        7 * 24 - 1,
      );
      // New York's own change (8 March) does not move Berlin's days.
      expect(dayOf("2026-03-08T23:30:00Z", zone)).toBe("2026-03-09");
    });
  });

  test("today is the user's today", () => {
    const now = Date.now();
    expect(today("Pacific/Kiritimati")).toBe(dayOf(new Date(now).toISOString(), "Pacific/Kiritimati"));
    expect(today("UTC")).toBe(new Date().toISOString().slice(0, 10));
  });
});

/** Runs `check` as in a browser whose zone is `zone` (process.env.TZ), then restores it. */
function withBrowserZone(zone: string, check: () => void) {
  const before = process.env.TZ;
  process.env.TZ = zone;
  try {
    check();
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}
