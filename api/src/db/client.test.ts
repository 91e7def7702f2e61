import { expect, test } from "bun:test";
import { parseTimestamp } from "./client.ts";

test("parseTimestamp reads PostgreSQL's timestamp text exactly, years below 100 included", () => {
  const iso = (text: string) => parseTimestamp(text).toISOString();
  expect(iso("0099-06-01 00:00:00+00")).toBe("0099-06-01T00:00:00.000Z");
  expect(iso("0001-01-01 12:00:00.123456+00")).toBe("0001-01-01T12:00:00.123Z");
  expect(iso("2024-03-01 10:00:00+05:30")).toBe("2024-03-01T04:30:00.000Z");
  expect(iso("2024-03-01 10:00:00-02")).toBe("2024-03-01T12:00:00.000Z");
  expect(parseTimestamp("infinity").getTime()).toBeNaN();
});
