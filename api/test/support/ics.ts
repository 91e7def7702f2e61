// Calendar files read back with ical.js, an RFC 5545 parser independent of the library that writes
// them (ical-generator): the feed's tests (unit, API, proxy) check what a calendar app would see.
import ICAL from "ical.js";

export { ICAL };

/** The VCALENDAR and its VEVENTs; throws on anything ical.js cannot parse. */
export function parseCalendar(text: string): { calendar: ICAL.Component; events: ICAL.Event[] } {
  const calendar = new ICAL.Component(ICAL.parse(text));
  if (calendar.name !== "vcalendar") throw new Error(`not a calendar: ${calendar.name}`);
  return {
    calendar,
    events: calendar.getAllSubcomponents("vevent").map((component) => new ICAL.Event(component)),
  };
}

export const parseEvents = (text: string) => parseCalendar(text).events;
