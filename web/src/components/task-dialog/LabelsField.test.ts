import { describe, expect, test } from "bun:test";
import { labelSuggestions } from "./LabelsField";

describe("label suggestions while tagging", () => {
  const names = ["bug", "design", "Debt", "web"];
  test("the first label: every name containing what is typed, any case", () => {
    expect(labelSuggestions("", names)).toEqual(names);
    expect(labelSuggestions("de", names)).toEqual(["design", "Debt"]);
  });
  test("after a comma: the text so far with the last label completed, names already used left out", () => {
    expect(labelSuggestions("bug, d", names)).toEqual(["bug, design", "bug, Debt"]);
    expect(labelSuggestions("bug,", names)).toEqual(["bug, design", "bug, Debt", "bug, web"]);
    expect(labelSuggestions("bug, web, ", names)).toEqual(["bug, web, design", "bug, web, Debt"]);
  });
});
