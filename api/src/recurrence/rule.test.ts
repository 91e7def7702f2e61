import { describe, expect, test } from "bun:test";
import { canonicalTimeZone, nextOccurrence, parseRule, type Recurrence } from "./rule.ts";

const ruleOf = (text: string) => {
  const parsed = parseRule(text);
  return "error" in parsed ? { error: parsed.error } : parsed.rule;
};

describe("parseRule", () => {
  test("puts RRULE values in canonical form (prefix, case)", () => {
    expect(ruleOf("FREQ=WEEKLY;BYDAY=MO,WE")).toBe("FREQ=WEEKLY;BYDAY=MO,WE");
    expect(ruleOf("rrule:freq=daily;interval=2;count=3")).toBe("FREQ=DAILY;INTERVAL=2;COUNT=3");
    expect(ruleOf("FREQ=WEEKLY;UNTIL=20261231")).toBe("FREQ=WEEKLY;UNTIL=20261231T000000Z");
    expect(ruleOf("FREQ=MONTHLY;BYDAY=-1FR")).toBe("FREQ=MONTHLY;BYDAY=-1FR");
  });

  test.each([
    ["", "is empty"],
    ["FREQ=HOURLY", "FREQ=HOURLY is not supported"],
    ["FREQ=MINUTELY", "FREQ=MINUTELY is not supported"],
    ["FREQ=SECONDLY", "FREQ=SECONDLY is not supported"],
    ["INTERVAL=2", "needs a FREQ"],
    ["FREQ=DAILY;FREQ=WEEKLY", "FREQ appears twice"],
    ["FREQ=DAILY;BYHOUR=9", "BYHOUR is not supported with FREQ=DAILY"],
    ["FREQ=DAILY;DTSTART=20260101T000000Z", "DTSTART is not supported"],
    ["FREQ=WEEKLY;COUNT=0", "COUNT must be a whole number from 1 to 1000"],
    ["FREQ=WEEKLY;COUNT=1001", "COUNT must be a whole number from 1 to 1000"],
    ["FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be a whole number"],
    ["FREQ=WEEKLY;COUNT=2;UNTIL=20261231T000000Z", "give COUNT or UNTIL, not both"],
    ["FREQ=WEEKLY;BYDAY=XX", "BYDAY takes weekdays"],
    ["FREQ=WEEKLY;BYDAY=1MO", "need FREQ=MONTHLY or FREQ=YEARLY"],
    ["FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never repeats"],
    ["FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY takes days"],
    ["FREQ=DAILY;X", "is not a NAME=VALUE part"],
    ["FREQ=DAILY\u0000", "may hold only"],
    ["FREQ=DAILY'; DROP TABLE tasks; --", "may hold only"],
    [`FREQ=DAILY;${"BYDAY=MO;".repeat(60)}`, "at most 500 characters"],
  ])("refuses %p with a sentence", (text, message) => {
    const parsed = parseRule(text);
    expect("error" in parsed && parsed.error).toContain(message);
  });
});

describe("canonicalTimeZone", () => {
  test("IANA names only, in Intl's spelling", () => {
    expect(canonicalTimeZone("Europe/Paris")).toBe("Europe/Paris");
    expect(canonicalTimeZone("utc")).toBe("UTC");
    expect(canonicalTimeZone("America/Argentina/Buenos_Aires")).toBe("America/Argentina/Buenos_Aires");
    expect(canonicalTimeZone("Mars/Olympus_Mons")).toBeUndefined();
    expect(canonicalTimeZone("+01:00")).toBeUndefined();
    expect(canonicalTimeZone("Europe/Paris\u0000")).toBeUndefined();
  });
});

describe("nextOccurrence", () => {
  const paris = (rule: string, from: Recurrence["from"] = "due"): Recurrence => ({
    rule,
    from,
    timeZone: "Europe/Paris",
  });
  const next = (recurrence: Recurrence, dueAt: string | null, completedAt: string) =>
    nextOccurrence(recurrence, { dueAt: dueAt ? new Date(dueAt) : null, completedAt: new Date(completedAt) });

  test("weekly at 09:00 in Paris stays 09:00 local across the March DST change (UTC moves an hour)", () => {
    // Monday 23 March 2026, 09:00 CET (UTC+1); clocks go forward on Sunday 29 March.
    const after = next(paris("FREQ=WEEKLY;BYDAY=MO"), "2026-03-23T08:00:00Z", "2026-03-23T10:00:00Z");
    expect(after).toEqual({ dueAt: new Date("2026-03-30T07:00:00Z"), rule: "FREQ=WEEKLY;BYDAY=MO" });
  });

  test("and across the October change the other way", () => {
    // Monday 19 October 2026, 09:00 CEST (UTC+2); clocks go back on Sunday 25 October.
    const after = next(paris("FREQ=WEEKLY;BYDAY=MO"), "2026-10-19T07:00:00Z", "2026-10-19T07:30:00Z");
    expect(after?.dueAt).toEqual(new Date("2026-10-26T08:00:00Z"));
  });

  test("in UTC the same rule keeps UTC times", () => {
    const after = nextOccurrence(
      { rule: "FREQ=WEEKLY;BYDAY=MO", from: "due", timeZone: "UTC" },
      { dueAt: new Date("2026-03-23T09:00:00Z"), completedAt: new Date("2026-03-24T00:00:00Z") },
    );
    expect(after?.dueAt).toEqual(new Date("2026-03-30T09:00:00Z"));
  });

  test("weekly on chosen weekdays goes to the next chosen day; every other week skips one", () => {
    const weekdays = paris("FREQ=WEEKLY;BYDAY=MO,WE,FR");
    expect(next(weekdays, "2026-03-25T08:00:00Z", "2026-03-25T08:00:00Z")?.dueAt).toEqual(
      new Date("2026-03-27T08:00:00Z"),
    );
    const fortnightly = paris("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE");
    // From Wednesday 4 March (the series' second day that week), the next is Monday 16 March.
    expect(next(fortnightly, "2026-03-04T08:00:00Z", "2026-03-04T08:00:00Z")?.dueAt).toEqual(
      new Date("2026-03-16T08:00:00Z"),
    );
  });

  test("monthly on the 31st skips months without one", () => {
    const after = next(paris("FREQ=MONTHLY;BYMONTHDAY=31"), "2026-01-31T08:00:00Z", "2026-01-31T09:00:00Z");
    expect(after?.dueAt).toEqual(new Date("2026-03-31T07:00:00Z"));
  });

  test("from completion: counts from the day it was done (in the zone), at the due date's time of day", () => {
    // Done at 23:30 Paris time on Saturday 28 March (22:30 UTC): three days later is Tuesday 31 March.
    const after = next(
      paris("FREQ=DAILY;INTERVAL=3", "completion"),
      "2026-03-23T08:00:00Z",
      "2026-03-28T22:30:00Z",
    );
    expect(after?.dueAt).toEqual(new Date("2026-03-31T07:00:00Z"));
  });

  test("without a due date it counts from the completion, whatever `from` says", () => {
    const after = next(paris("FREQ=DAILY"), null, "2026-05-04T10:15:00Z");
    expect(after?.dueAt).toEqual(new Date("2026-05-05T10:15:00Z"));
  });

  test("COUNT is what remains: the next occurrence carries one less, and the last has none after it", () => {
    expect(next(paris("FREQ=DAILY;COUNT=3"), "2026-05-04T08:00:00Z", "2026-05-04T08:00:00Z")?.rule).toBe(
      "FREQ=DAILY;COUNT=2",
    );
    expect(next(paris("FREQ=DAILY;COUNT=1"), "2026-05-04T08:00:00Z", "2026-05-04T08:00:00Z")).toBeNull();
  });

  test("UNTIL ends the series", () => {
    const rule = paris("FREQ=WEEKLY;UNTIL=20260510T000000Z");
    expect(next(rule, "2026-05-04T08:00:00Z", "2026-05-04T08:00:00Z")).toBeNull();
    expect(next(rule, "2026-04-27T08:00:00Z", "2026-04-27T08:00:00Z")?.dueAt).toEqual(
      new Date("2026-05-04T08:00:00Z"),
    );
  });
});
