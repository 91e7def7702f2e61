// Where a problem in an uploaded document is, for people: `Project 2 (“Launch”), task 5 (“Fix
// login”)`, and the field's name. Each import names its own collections (`nouns`).

const NAME_FIELDS = ["name", "title", "fullName", "email"] as const;

export function placeOf(
  document: unknown,
  path: readonly PropertyKey[],
  nouns: Record<string, string>,
): { place: string; field?: string } {
  const parts: string[] = [];
  let field: string | undefined;
  let node: unknown = document;
  const child = (value: unknown, key: PropertyKey) =>
    value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as PropertyKey;
    const index = path[i + 1];
    if (typeof key === "string" && Object.hasOwn(nouns, key) && typeof index === "number") {
      node = child(child(node, key), index);
      const label = NAME_FIELDS.map((name) => child(node, name)).find(
        (value): value is string => typeof value === "string" && value.trim() !== "",
      );
      parts.push(`${nouns[key]} ${index + 1}${label ? ` (“${label.trim().slice(0, 60)}”)` : ""}`);
      i += 1;
    } else {
      node = child(node, key);
      field = String(key);
    }
  }
  return { place: parts.join(", "), field };
}
