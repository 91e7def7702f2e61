import { expect, test } from "bun:test";
import { findBadString } from "./body.ts";

test("findBadString finds NUL and lone surrogates in values and keys, with their path", () => {
  expect(findBadString({ a: "fine", b: ["ok", "😀"] })).toBeUndefined();
  expect(findBadString({ a: "x\u0000y" })).toEqual(["a"]);
  expect(findBadString({ list: ["ok", "\ud800"] })).toEqual(["list", 1]);
  expect(findBadString({ nested: { "bad\udfffkey": 1 } })).toEqual(["nested", "bad\udfffkey"]);
  expect(findBadString("\u0000")).toEqual([]);
  expect(findBadString(42)).toBeUndefined();
});
