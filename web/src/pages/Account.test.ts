import { expect, test } from "bun:test";
import { describeSession, formatWhen } from "./Account";

test("describeSession names browser and system, and says when it does not know", () => {
  expect(describeSession({ browser: "Firefox 128", os: "Linux" })).toBe("Firefox 128 on Linux");
  expect(describeSession({ browser: "curl 8", os: null })).toBe("curl 8");
  expect(describeSession({ browser: null, os: null })).toBe("Unknown browser");
});

test("formatWhen tells sessions used the same day apart", () => {
  const now = Date.parse("2030-05-01T12:00:00Z");
  expect(formatWhen("2030-05-01T11:59:40Z", now)).toBe("just now");
  expect(formatWhen("2030-05-01T11:48:00Z", now)).toContain("12");
  expect(formatWhen("2030-05-01T09:00:00Z", now)).toContain("3");
  expect(formatWhen("2030-05-01T11:48:00Z", now)).not.toBe(formatWhen("2030-05-01T09:00:00Z", now));
  // Older: a date with the time.
  expect(formatWhen("2030-04-20T08:30:00Z", now)).toMatch(/\d{1,2}:\d{2}/);
});
