// Event-stream tickets. EventSource cannot send an Authorization header, and a token in the URL ends
// up in proxy logs (nginx logs the request line of a failed upstream request), so the browser trades
// its access token for a ticket: random, single use, valid TICKET_TTL_SECONDS, worth one stream of
// the same user and session that ends when the token would have expired.
import type { MiddlewareHandler } from "hono";
import type { AppEnv, AuthenticatedUser } from "../http/context.ts";
import { ApiError } from "../http/errors.ts";
import type { Metrics } from "../metrics.ts";
import type { Store } from "../store/store.ts";

export const TICKET_TTL_SECONDS = 30;

const TICKET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

// Only a hash is stored: the key name never holds a usable ticket.
const ticketKey = (ticket: string) =>
  `events-ticket:${new Bun.CryptoHasher("sha256").update(ticket).digest("hex")}`;

export function createTickets(store: Store) {
  return {
    async issue(user: AuthenticatedUser): Promise<string> {
      const ticket = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
      await store.set(ticketKey(ticket), JSON.stringify(user), TICKET_TTL_SECONDS);
      return ticket;
    },
    async redeem(ticket: string): Promise<AuthenticatedUser | undefined> {
      if (!TICKET_PATTERN.test(ticket)) return undefined;
      const stored = await store.getDel(ticketKey(ticket));
      return stored ? (JSON.parse(stored) as AuthenticatedUser) : undefined;
    },
  };
}

export type Tickets = ReturnType<typeof createTickets>;

/** With `?ticket=`, the ticket's user signs the request in (or it is refused); without, nothing changes. */
export function ticketAuth(options: { tickets: Tickets; metrics: Metrics }): MiddlewareHandler<AppEnv> {
  return async function ticketAuthMiddleware(c, next) {
    const ticket = c.req.query("ticket");
    if (ticket !== undefined) {
      const user = await options.tickets.redeem(ticket);
      if (!user) {
        options.metrics.authFailures.inc({ reason: "invalid_ticket" });
        throw new ApiError(401, "unauthorized", "invalid, used or expired event-stream ticket", undefined, {
          "WWW-Authenticate": 'Bearer realm="taskplatform"',
        });
      }
      c.set("user", user);
    }
    await next();
  };
}
