import { expect, test } from "bun:test";
import { insertMention, mentionQuery } from "./mentions";

test("the @query before the caret, only at a word start", () => {
  expect(mentionQuery("hi @al", 6)).toEqual({ start: 3, query: "al" });
  expect(mentionQuery("@", 1)).toEqual({ start: 0, query: "" });
  expect(mentionQuery("mail@host", 9)).toBeUndefined();
  expect(mentionQuery("hi @al there", 12)).toBeUndefined();
});

test("a picked member becomes @[name](user:id) followed by a space", () => {
  const id = "00000000-0000-4000-8000-000000000001";
  expect(insertMention("hi @al!", 3, 6, { userId: id, name: "Alice [A]" })).toEqual({
    text: `hi @[Alice  A ](user:${id}) !`,
    caret: 3 + `@[Alice  A ](user:${id}) `.length,
  });
});
