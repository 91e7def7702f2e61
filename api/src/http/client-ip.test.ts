import { expect, test } from "bun:test";
import { createProxyMatcher, parseCidr, resolveClientIp } from "./client-ip.ts";

test("parseCidr takes addresses and CIDRs of both families, nothing else", () => {
  expect(parseCidr("10.0.0.0/8")).toEqual({ address: "10.0.0.0", prefix: 8, family: 4 });
  expect(parseCidr(" 127.0.0.1 ")).toEqual({ address: "127.0.0.1", prefix: 32, family: 4 });
  expect(parseCidr("2001:db8::/32")).toEqual({ address: "2001:db8::", prefix: 32, family: 6 });
  for (const bad of [
    "",
    "true",
    "10.0.0.0/33",
    "10.0.0.0/",
    "10.0.0.0/8/1",
    "10.0.0.0/-1",
    "::1/129",
    "1.2.3",
  ])
    expect(parseCidr(bad)).toBeUndefined();
});

test("resolveClientIp believes X-Forwarded-For only from trusted peers, read from the right", () => {
  const trusted = createProxyMatcher(["127.0.0.1", "10.0.0.0/8", "fd00::/8"]);
  expect(resolveClientIp("203.0.113.1", "6.6.6.6", trusted)).toBe("203.0.113.1");
  expect(resolveClientIp("127.0.0.1", "6.6.6.6, 203.0.113.2", trusted)).toBe("203.0.113.2");
  expect(resolveClientIp("::ffff:127.0.0.1", "203.0.113.3, 10.0.0.2", trusted)).toBe("203.0.113.3");
  expect(resolveClientIp("fd00::5", "::ffff:203.0.113.4", trusted)).toBe("203.0.113.4");
  expect(resolveClientIp("127.0.0.1", "10.0.0.3, 10.0.0.2", trusted)).toBe("10.0.0.3");
  expect(resolveClientIp("127.0.0.1", "203.0.113.5, junk", trusted)).toBe("127.0.0.1");
  expect(resolveClientIp("127.0.0.1", undefined, trusted)).toBe("127.0.0.1");
  expect(resolveClientIp(undefined, "203.0.113.6", trusted)).toBeUndefined();
  // Nobody trusted: the header never counts.
  expect(resolveClientIp("127.0.0.1", "203.0.113.7", createProxyMatcher([]))).toBe("127.0.0.1");
});
