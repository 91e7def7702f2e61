import { expect, test } from "bun:test";
import { findBadString, nestsDeeperThan } from "./body.ts";

test("findBadString finds NUL and lone surrogates in values and keys, with their path", () => {
  expect(findBadString({ a: "fine", b: ["ok", "😀"] })).toBeUndefined();
  expect(findBadString({ a: "x\u0000y" })).toEqual(["a"]);
  expect(findBadString({ list: ["ok", "\ud800"] })).toEqual(["list", 1]);
  expect(findBadString({ nested: { "bad\udfffkey": 1 } })).toEqual(["nested", "bad\udfffkey"]);
  expect(findBadString("\u0000")).toEqual([]);
  expect(findBadString(42)).toBeUndefined();
});

test("findBadString walks without recursion (no stack overflow on deep values)", () => {
  let deep: unknown = "\u0000";
  for (let i = 0; i < 100_000; i++) deep = [deep];
  expect(findBadString(deep)).toHaveLength(100_000);
});

test("nestsDeeperThan counts brackets outside strings only", () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  expect(nestsDeeperThan(bytes("[[[]]]"), 3)).toBe(false);
  expect(nestsDeeperThan(bytes("[[[[]]]]"), 3)).toBe(true);
  expect(nestsDeeperThan(bytes('{"a":{"b":[1]}}'), 3)).toBe(false);
  expect(nestsDeeperThan(bytes('{"a":{"b":[[1]]}}'), 3)).toBe(true);
  expect(nestsDeeperThan(bytes('["[[[[[[", "\\"[[[[", "é[[[["]'), 1)).toBe(false);
  // Sequential, not nested: depth goes back down.
  expect(nestsDeeperThan(bytes("[[],[],[],[]]"), 2)).toBe(false);
});
