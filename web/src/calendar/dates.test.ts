import { describe, expect, test } from "bun:test";
import {
  addDays,
  addMonths,
  dayKey,
  dayOf,
  localIso,
  onDay,
  parseDayKey,
  startOfWeek,
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

  test("moving a due date to another day keeps its local time of day", () => {
    const due = new Date(2026, 11, 15, 14, 30, 5, 250).toISOString();
    const moved = new Date(onDay(due, "2026-12-18"));
    expect(dayKey(moved)).toBe("2026-12-18");
    expect([moved.getHours(), moved.getMinutes(), moved.getSeconds(), moved.getMilliseconds()]).toEqual([
      14, 30, 5, 250,
    ]);
    expect(dayOf(onDay(due, "2027-06-01"))).toBe("2027-06-01");
    expect(() => onDay(due, "tomorrow")).toThrow(RangeError);
  });

  test("across a DST change (Berlin, 29 March 2026) a day is still a day and the time of day stays", () => {
    const zone = process.env.TZ;
    process.env.TZ = "Europe/Berlin";
    try {
      const due = new Date(2026, 2, 28, 9, 0).toISOString(); // 08:00Z, winter time
      const moved = onDay(due, "2026-03-30");
      expect(moved).toBe("2026-03-30T07:00:00.000Z"); // 09:00 summer time
      const { from, to } = viewWindow("week", new Date(2026, 2, 25));
      expect(localIso(from)).toBe("2026-03-23T00:00:00+01:00");
      expect(localIso(to)).toBe("2026-03-30T00:00:00+02:00");
      expect((to.getTime() - from.getTime()) / 3_600_000).toBe(7 * 24 - 1);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  test("localIso is the same instant with the local offset, as the API accepts it", () => {
    const date = new Date(2026, 11, 1);
    const iso = localIso(date);
    expect(iso).toMatch(/^2026-12-01T00:00:00[+-]\d{2}:\d{2}$/);
    expect(new Date(iso).getTime()).toBe(date.getTime());
  });
});
