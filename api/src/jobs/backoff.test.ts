import { expect, test } from "bun:test";
import { MAX_RETRY_DELAY_MS, retryDelayMs } from "./backoff.ts";

test("doubles from the base and stops at one hour", () => {
  const middle = () => 0.5;
  expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 5000, middle))).toEqual([
    5000, 10_000, 20_000, 40_000,
  ]);
  expect(retryDelayMs(40, 5000, middle)).toBe(MAX_RETRY_DELAY_MS);
});

test("jitter stays within ±20 %", () => {
  expect(retryDelayMs(1, 1000, () => 0)).toBe(800);
  expect(retryDelayMs(1, 1000, () => 1)).toBe(1200);
});
