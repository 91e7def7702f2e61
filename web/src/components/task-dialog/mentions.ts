// Mention autocomplete helpers: the "@word" being typed before the caret, and the text with a member's
// mention (@[name](user:<id>)) in its place. Pure, so they are tested without a DOM.

/** The query typed after "@" right before the caret, and where the "@" is; none when not mentioning. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | undefined {
  const before = text.slice(0, caret);
  const match = /(^|[\s(])@([\p{L}\p{N}._-]{0,30})$/u.exec(before);
  if (!match) return undefined;
  return { start: caret - (match[2]?.length ?? 0) - 1, query: match[2] ?? "" };
}

/** `text` with the typed "@query" (from `start` to `caret`) replaced by a mention, and the new caret. */
export function insertMention(
  text: string,
  start: number,
  caret: number,
  member: { userId: string; name: string },
): { text: string; caret: number } {
  const name = member.name.replace(/[[\]\n]/g, " ").slice(0, 100);
  const mention = `@[${name}](user:${member.userId}) `;
  return { text: text.slice(0, start) + mention + text.slice(caret), caret: start + mention.length };
}
