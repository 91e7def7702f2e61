import { describe, expect, test } from "bun:test";
import { createProjectBody, updateProjectBody } from "./schemas.ts";

// The table allows 100 characters of name and 2,000 of description (PostgreSQL length(), code points).
describe("project limits match the database and read as sentences", () => {
  test("a name of 101 characters is refused with a plain message", () => {
    const result = createProjectBody.safeParse({ name: "n".repeat(101) });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual(["must be at most 100 characters"]);
  });
  test("100 characters are accepted, also when each takes two UTF-16 units", () => {
    expect(createProjectBody.safeParse({ name: "n".repeat(100) }).success).toBe(true);
    expect(createProjectBody.safeParse({ name: "🚀".repeat(100) }).success).toBe(true);
    expect(createProjectBody.safeParse({ name: "🚀".repeat(101) }).success).toBe(false);
  });
  test("descriptions: 2,000 characters", () => {
    expect(updateProjectBody.safeParse({ description: "🚀".repeat(2000) }).success).toBe(true);
    const result = updateProjectBody.safeParse({ description: "d".repeat(2001) });
    expect(result.error?.issues.map((i) => i.message)).toEqual(["must be at most 2,000 characters"]);
  });
});
