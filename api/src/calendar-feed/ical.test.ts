// The feed's body, read back with ical.js (an independent RFC 5545 parser), not by string matching.
import { describe, expect, test } from "bun:test";
import { type ICAL, parseCalendar, parseEvents } from "../../test/support/ics.ts";
import { buildCalendar, DESCRIPTION_LIMIT, type FeedTask, rruleValue } from "./ical.ts";

const options = { publicUrl: "https://tasks.example.test", name: "TaskPlatform: tasks of Ada" };

const task = (over: Partial<FeedTask> = {}): FeedTask => ({
  id: "6f1c1c8e-1d8e-4f51-9b7a-3b4a1f0e2a10",
  projectId: "0b3e2c55-9a55-4a4b-8b8e-2f3c4d5e6f70",
  projectName: "Launch",
  title: "Ship it",
  description: "",
  dueAt: new Date("2026-12-24T00:00:00.000Z"),
  updatedAt: new Date("2026-12-01T10:15:30.000Z"),
  version: 4,
  ...over,
});

describe("buildCalendar", () => {
  test("a VCALENDAR 2.0 with one VEVENT per task: UID, DTSTAMP, LAST-MODIFIED, URL, SEQUENCE", () => {
    const body = buildCalendar([task(), task({ id: "a2b4c6d8-0000-4000-8000-000000000001" })], options);
    // RFC 5545 §3.1: lines end with CRLF.
    expect(body.split("\r\n").every((line) => !line.includes("\n"))).toBe(true);
    const { calendar, events } = parseCalendar(body);
    expect(calendar.getFirstPropertyValue("version")).toBe("2.0");
    expect(calendar.getFirstPropertyValue("x-wr-calname")).toBe(options.name);
    expect(events).toHaveLength(2);
    const first = events[0]?.component;
    if (!first) throw new Error("no event");
    expect(first.getFirstPropertyValue("uid")).toBe(
      "6f1c1c8e-1d8e-4f51-9b7a-3b4a1f0e2a10@tasks.example.test",
    );
    expect(first.getFirstPropertyValue("url")).toBe(
      "https://tasks.example.test/projects/0b3e2c55-9a55-4a4b-8b8e-2f3c4d5e6f70?task=6f1c1c8e-1d8e-4f51-9b7a-3b4a1f0e2a10",
    );
    const stamp = first.getFirstPropertyValue("dtstamp") as ICAL.Time;
    const modified = first.getFirstPropertyValue("last-modified") as ICAL.Time;
    expect(stamp.toJSDate().toISOString()).toBe("2026-12-01T10:15:30.000Z");
    expect(modified.toJSDate().toISOString()).toBe("2026-12-01T10:15:30.000Z");
    expect(Number(first.getFirstPropertyValue("sequence"))).toBe(4);
    expect(first.getFirstPropertyValue("rrule")).toBeNull();
  });

  test("the same tasks give the same bytes (a stable ETag); a change to a task changes them", () => {
    const body = buildCalendar([task()], options);
    expect(buildCalendar([task()], options)).toBe(body);
    expect(buildCalendar([task({ title: "Ship it!" })], options)).not.toBe(body);
  });

  test("a due date at midnight or noon UTC (the date picker's) is an all-day event on that day; any other time is that moment", () => {
    const [allDay, timed, picked] = parseEvents(
      buildCalendar(
        [
          task(),
          task({ id: "b", dueAt: new Date("2027-03-05T14:30:00.000Z") }),
          task({ id: "c", dueAt: new Date("1969-07-20T12:00:00.000Z") }),
        ],
        options,
      ),
    );
    expect(allDay?.startDate.isDate).toBe(true);
    expect(allDay?.startDate.toString()).toBe("2026-12-24");
    expect(allDay?.endDate.toString()).toBe("2026-12-25");
    expect(picked?.startDate.isDate).toBe(true);
    expect(picked?.startDate.toString()).toBe("1969-07-20");
    expect(timed?.startDate.isDate).toBe(false);
    expect(timed?.startDate.toJSDate().toISOString()).toBe("2027-03-05T14:30:00.000Z");
    expect(timed?.startDate.zone?.tzid).toBe("UTC");
  });

  test("hostile text survives escaping and folding exactly: commas, semicolons, backslashes, newlines, emoji", () => {
    const title = `a,b;c\\d\ne:f "g" 😀 ${"é".repeat(80)}`.slice(0, 200);
    const description = "line one\r\nBEGIN:VEVENT\nUID:injected\n;,\\";
    const body = buildCalendar([task({ title, description, projectName: "P;r,o\\j" })], options);
    expect(body.split("\r\n").every((line) => Buffer.byteLength(line) <= 75)).toBe(true);
    const events = parseEvents(body);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(event?.summary).toBe(title);
    expect(event?.description).toBe(`Project: P;r,o\\j\n\n${description.replace(/\r\n/g, "\n")}`);
    expect(event?.uid).toBe(`${task().id}@tasks.example.test`);
  });

  test("long descriptions are cut with an ellipsis", () => {
    const [event] = parseEvents(buildCalendar([task({ description: "x".repeat(5000) })], options));
    const text = event?.description;
    expect(text).toBe(`Project: Launch\n\n${"x".repeat(DESCRIPTION_LIMIT - 1)}…`);
  });

  test("years 0001–0099 and no tasks at all still parse", () => {
    const [event] = parseEvents(
      buildCalendar([task({ dueAt: new Date("0099-06-01T10:30:00.000Z") })], options),
    );
    expect(event?.startDate.year).toBe(99);
    expect(parseEvents(buildCalendar([], options))).toEqual([]);
  });

  test("a task's rrule is emitted as RRULE and expands to its occurrences", () => {
    const rule = "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4";
    const [event] = parseEvents(
      buildCalendar([task({ dueAt: new Date("2026-12-07T09:00:00.000Z"), rrule: rule })], options),
    );
    if (!event) throw new Error("no event");
    expect(event.isRecurring()).toBe(true);
    const recur = event.component.getFirstPropertyValue("rrule") as ICAL.Recur;
    expect({ freq: recur.freq, count: recur.count, byDay: recur.parts.BYDAY }).toEqual({
      freq: "WEEKLY",
      count: 4,
      byDay: ["MO", "WE"],
    });
    const iterator = event.iterator();
    const dates: string[] = [];
    for (let next = iterator.next(); next; next = iterator.next()) dates.push(next.toJSDate().toISOString());
    expect(dates).toEqual([
      "2026-12-07T09:00:00.000Z",
      "2026-12-09T09:00:00.000Z",
      "2026-12-14T09:00:00.000Z",
      "2026-12-16T09:00:00.000Z",
    ]);
  });

  test("a repeating event starts at its wall-clock time in its zone (with that zone's VTIMEZONE), UTC without one", () => {
    const rrule = "FREQ=WEEKLY;BYDAY=TU;COUNT=2";
    const dueAt = new Date("2027-03-22T23:30:00.000Z"); // Tuesday 00:30 in Tokyo, still Monday in UTC
    const body = buildCalendar(
      [
        task({ dueAt, rrule, timeZone: "Asia/Tokyo" }),
        task({ id: "d3c1f5a2-7b7e-4c39-9f0e-1a2b3c4d5e6f", dueAt, rrule, timeZone: "Invented/Nowhere" }),
      ],
      options,
    );
    const { calendar, events } = parseCalendar(body);
    expect(
      calendar.getAllSubcomponents("vtimezone").map((zone) => zone.getFirstPropertyValue("tzid")),
    ).toEqual(["Asia/Tokyo"]);
    const starts = events.map((event) => [event.startDate.zone?.tzid, event.startDate.toString()]);
    expect(starts).toEqual([
      ["Asia/Tokyo", "2027-03-23T08:30:00"],
      ["UTC", "2027-03-22T23:30:00Z"],
    ]);
    // BYDAY=TU is a Tuesday in Tokyo (in UTC, the series would be a day late).
    const iterator = events[0]?.iterator();
    const dates = [iterator?.next(), iterator?.next(), iterator?.next()].map((next) =>
      next?.toJSDate().toISOString(),
    );
    expect(dates).toEqual(["2027-03-22T23:30:00.000Z", "2027-03-29T23:30:00.000Z", undefined]);
  });

  test("a rule that would add lines of its own is left out, the event kept", () => {
    const body = buildCalendar([task({ rrule: "FREQ=DAILY\r\nATTENDEE:mailto:evil@example.test" })], options);
    const events = parseEvents(body);
    expect(events).toHaveLength(1);
    expect(events[0]?.component.getFirstPropertyValue("rrule")).toBeNull();
    expect(events[0]?.component.getFirstPropertyValue("attendee")).toBeNull();
  });
});

describe("rruleValue", () => {
  test("takes a bare rule, RRULE: and rrule.js's DTSTART + RRULE lines", () => {
    expect(rruleValue("FREQ=DAILY;INTERVAL=2")).toBe("FREQ=DAILY;INTERVAL=2");
    expect(rruleValue("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1")).toBe("FREQ=MONTHLY;BYMONTHDAY=-1");
    expect(rruleValue("DTSTART:20261201T090000Z\nRRULE:FREQ=WEEKLY;UNTIL=20270101T000000Z")).toBe(
      "FREQ=WEEKLY;UNTIL=20270101T000000Z",
    );
  });

  test("refuses everything else", () => {
    for (const bad of [
      null,
      undefined,
      "",
      "INTERVAL=2",
      "FREQ=SOMETIMES",
      "FREQ=DAILY;X=\u0000",
      "FREQ=DAILY\nEXDATE:20261201",
      "FREQ=DAILY;COUNT=3 ",
      `FREQ=DAILY;${"BYDAY=MO;".repeat(100)}`,
    ])
      expect(rruleValue(bad)).toBeUndefined();
  });
});
