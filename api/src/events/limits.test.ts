// The per-process stream cap from the descriptor limit (the caps on real processes: stream-limits.suite.ts).
import { expect, test } from "bun:test";
import { fileDescriptorLimit, processStreamCap } from "./limits.ts";

const limits = (soft: string, hard = "1048576") =>
  `Limit                     Soft Limit           Hard Limit           Units     \nMax processes             127590               127590               processes \nMax open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files     \n`;

test("reads the soft open-files limit from /proc/self/limits text, and this process's own", () => {
  expect(fileDescriptorLimit(limits("1024"))).toBe(1024);
  expect(fileDescriptorLimit(limits("16384", "16384"))).toBe(16384);
  expect(fileDescriptorLimit(limits("unlimited", "unlimited"))).toBeUndefined();
  expect(fileDescriptorLimit("garbage\0\n")).toBeUndefined();
  expect(fileDescriptorLimit()).toBeGreaterThan(0);
});

test("keeps a fifth of the limit (at least 128) for everything else; configuration may only lower it", () => {
  expect(processStreamCap(16384)).toBe(16384 - 3277);
  expect(processStreamCap(1024)).toBe(1024 - 205);
  expect(processStreamCap(256)).toBe(128);
  expect(processStreamCap(100)).toBe(0);
  expect(processStreamCap(16384, 500)).toBe(500);
  expect(processStreamCap(256, 100_000)).toBe(128);
  expect(processStreamCap(undefined)).toBe(10_000);
});
