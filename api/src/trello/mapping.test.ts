// The pure parts of the Trello mapping: list kinds, label colours, creation times from ids.
import { describe, expect, test } from "bun:test";
import { createdAtOfId, kindOfList, paletteColor } from "./mapping.ts";

describe("kindOfList", () => {
  test.each([
    ["Done", "done"],
    ["Done ✅", "done"],
    ["Completed this sprint", "done"],
    ["Shipped", "done"],
    ["Doing", "in_progress"],
    ["In Progress", "in_progress"],
    ["in-progress", "in_progress"],
    ["Code review", "in_progress"],
    ["QA", "in_progress"],
    ["Backlog", "todo"],
    ["To Do", "todo"],
    ["Ideas", "todo"],
    // A word inside another is not the word.
    ["Undone ideas", "todo"],
    ["Progressive web app", "todo"],
  ])("%p → %p", (name, kind) => {
    expect(kindOfList(name)).toBe(kind as ReturnType<typeof kindOfList>);
  });
});

describe("paletteColor", () => {
  test("every Trello colour and its shades has a palette colour; none and unknown ones are slate", () => {
    expect(paletteColor("sky")).toBe("teal");
    expect(paletteColor("sky_dark")).toBe("teal");
    expect(paletteColor("yellow_light")).toBe("amber");
    expect(paletteColor("lime")).toBe("green");
    expect(paletteColor("black")).toBe("slate");
    expect(paletteColor(null)).toBe("slate");
    expect(paletteColor("chartreuse")).toBe("slate");
  });
});

describe("createdAtOfId", () => {
  test("a Trello id starts with its creation time in seconds; anything else has none", () => {
    expect(createdAtOfId("65e18b00aaaaaaaaaaaaaaaa")?.toISOString()).toBe("2024-03-01T08:00:00.000Z");
    expect(createdAtOfId("not-an-object-id")).toBeNull();
    expect(createdAtOfId("00000000aaaaaaaaaaaaaaaa")).toBeNull();
  });
});
