// The client's address for rate limits, login-failure counters and session records. X-Forwarded-For
// is believed only when the socket peer is a trusted proxy (TRUST_PROXY), and then read from the
// right: each trusted proxy appends the address it saw, so the first untrusted hop from the right is
// the client; whatever a client wrote further left is ignored. Only valid IP addresses are taken, so
// the stored value is never longer than an IPv6 address.
import { BlockList, isIP } from "node:net";
import type { MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/bun";
import type { AppEnv } from "./context.ts";

/** TRUST_PROXY=true: a proxy on this host or on a private network (compose, Quadlet, a VPC). */
export const PRIVATE_NETWORKS = [
  "127.0.0.0/8",
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "::1/128",
  "fc00::/7",
];

/** Hops read from the right at most: a longer chain is not one our proxies built. */
const MAX_HOPS = 16;

/** "10.0.0.0/8", "2001:db8::/32" or a bare address; undefined when it is neither. */
export function parseCidr(entry: string): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const [address = "", prefixText, extra] = entry.trim().split("/");
  const family = isIP(address);
  if ((family !== 4 && family !== 6) || extra !== undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(bits)) || prefix > bits) return undefined;
  return { address, prefix, family };
}

/** Socket addresses of IPv4 clients may come IPv4-mapped ("::ffff:1.2.3.4"); count them as IPv4. */
const unmapped = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");

export function createProxyMatcher(cidrs: readonly string[]): (address: string) => boolean {
  const trusted = new BlockList();
  for (const cidr of cidrs) {
    const parsed = parseCidr(cidr);
    if (!parsed) throw new Error(`not an address or CIDR: ${cidr}`);
    trusted.addSubnet(parsed.address, parsed.prefix, parsed.family === 4 ? "ipv4" : "ipv6");
  }
  return (address) => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 4 ? "ipv4" : "ipv6");
  };
}

/** The client's address given the socket peer and the X-Forwarded-For header. */
export function resolveClientIp(
  peer: string | undefined,
  forwardedFor: string | undefined,
  isTrusted: (address: string) => boolean,
): string | undefined {
  let client = peer === undefined ? undefined : unmapped(peer);
  if (!client || !forwardedFor || !isTrusted(client)) return client;
  const hops = forwardedFor.split(",").slice(-MAX_HOPS).reverse();
  for (const hop of hops) {
    const address = unmapped(hop.trim());
    // A hop that is not an address was not written by a proxy we trust: keep the last good one.
    if (isIP(address) === 0) break;
    client = address;
    if (!isTrusted(address)) break;
  }
  return client;
}

export function clientIp(options: { trustedProxies: readonly string[] }): MiddlewareHandler<AppEnv> {
  const isTrusted = createProxyMatcher(options.trustedProxies);
  return async function clientIpMiddleware(c, next) {
    let peer: string | undefined;
    try {
      peer = getConnInfo(c).remote.address;
    } catch {
      // No socket (app.request() without a server).
    }
    c.set("clientIp", resolveClientIp(peer, c.req.header("x-forwarded-for"), isTrusted) ?? "unknown");
    await next();
  };
}
