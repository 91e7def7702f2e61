// A task's recurrence in the API: `recurrence: {rule, from, timeZone?} | null` on create and PATCH,
// `{rule, from, timeZone}` or null in answers. The rule is checked and put in canonical form by
// rule.ts; a rule that fails answers 422 with rule.ts's sentence on `recurrence.rule`.
import { z } from "zod";
import { canonicalTimeZone, MAX_RULE_LENGTH, parseRule, RECURRENCE_ANCHORS } from "./rule.ts";

/** An IANA zone name (Europe/Paris), put in Intl's canonical spelling. */
export const timeZoneSchema = z
  .string()
  .max(64, "must be an IANA time zone such as Europe/Paris")
  .transform((name, ctx) => {
    const zone = canonicalTimeZone(name);
    if (!zone) ctx.addIssue({ code: "custom", message: "must be an IANA time zone such as Europe/Paris" });
    return zone ?? name;
  });

export const ruleSchema = z
  .string()
  .max(MAX_RULE_LENGTH, `must be at most ${MAX_RULE_LENGTH} characters`)
  .transform((text, ctx) => {
    const parsed = parseRule(text);
    if ("error" in parsed) {
      ctx.addIssue({ code: "custom", message: parsed.error });
      return text;
    }
    return parsed.rule;
  });

export const recurrenceAnchor = z.enum(RECURRENCE_ANCHORS);

/** What a client sends; without `timeZone`, the caller's own zone (their preferences) is used. */
export const recurrenceInput = z
  .strictObject({
    rule: ruleSchema,
    from: recurrenceAnchor.default("due"),
    timeZone: timeZoneSchema.optional(),
  })
  .nullable();

export const recurrenceSchema = z.object({
  /** RFC 5545 RRULE value (FREQ=WEEKLY;BYDAY=MO). COUNT: occurrences left, this task included. */
  rule: z.string(),
  /** What the next occurrence counts from. */
  from: recurrenceAnchor,
  /** The IANA zone its days and times are in. */
  timeZone: z.string(),
});

export type RecurrenceInput = z.infer<typeof recurrenceInput>;
