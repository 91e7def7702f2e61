import { describe, expect, test } from "bun:test";
import { describeRule, fromRule, NO_REPEAT, type RepeatChoices, toRule } from "./recurrence";

const choices = (change: Partial<RepeatChoices>): RepeatChoices => ({ ...NO_REPEAT, ...change });

describe("Repeat choices → RRULE", () => {
  test.each([
    [choices({ frequency: "daily" }), "FREQ=DAILY"],
    [choices({ frequency: "weekly", weekdays: ["FR", "MO", "WE"] }), "FREQ=WEEKLY;BYDAY=MO,WE,FR"],
    [choices({ frequency: "weekly", interval: 2 }), "FREQ=WEEKLY;INTERVAL=2"],
    [choices({ frequency: "monthly", monthDay: 31 }), "FREQ=MONTHLY;BYMONTHDAY=31"],
    [
      choices({ frequency: "monthly", interval: 3, end: "count", count: 4 }),
      "FREQ=MONTHLY;INTERVAL=3;COUNT=4",
    ],
    [
      choices({ frequency: "yearly", end: "until", until: "2027-06-30" }),
      "FREQ=YEARLY;UNTIL=20270630T235959Z",
    ],
    // Choices that do not apply to the frequency are left out.
    [choices({ frequency: "daily", weekdays: ["MO"], monthDay: 3 }), "FREQ=DAILY"],
  ])("%o → %s", (chosen, rule) => {
    expect(toRule(chosen)).toEqual({ rule, from: "due" });
  });

  test("none is no rule; the anchor travels with the rule", () => {
    expect(toRule(NO_REPEAT)).toBeNull();
    expect(toRule(choices({ frequency: "daily", from: "completion" }))?.from).toBe("completion");
  });

  test("every rule the choices make reads back as the same choices", () => {
    for (const chosen of [
      choices({ frequency: "weekly", weekdays: ["MO", "TH"], end: "count", count: 6, from: "completion" }),
      choices({ frequency: "monthly", monthDay: 15, interval: 2, end: "until", until: "2026-12-31" }),
    ]) {
      const rule = toRule(chosen);
      expect(rule).not.toBeNull();
      expect(fromRule(rule as NonNullable<typeof rule>)).toEqual(chosen);
    }
  });

  test("a rule the choices cannot show (set through the API) is not forced into them", () => {
    expect(fromRule({ rule: "FREQ=MONTHLY;BYDAY=-1FR", from: "due" })).toBeUndefined();
    expect(fromRule({ rule: "not a rule", from: "due" })).toBeUndefined();
  });

  test("rules are described in words", () => {
    expect(describeRule("FREQ=WEEKLY;BYDAY=MO,WE;COUNT=3")).toBe(
      "every week on Monday, Wednesday for 3 times",
    );
    expect(describeRule("FREQ=MONTHLY;BYDAY=-1FR")).toBe("every month on the last Friday");
  });
});
