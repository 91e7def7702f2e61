// GET /api/events: Server-Sent Events of the projects the user belongs to (and the user's own
// notifications), for as long as the user's
// access token and session last. POST /api/events/ticket trades the bearer token for a single-use
// ticket that EventSource can carry in the URL. Reconnects with Last-Event-ID replay what was missed
// while the stream still holds it (EVENTS_RETAINED events); otherwise the client gets `resync` and
// refetches. Which projects a user may see comes from PostgreSQL as of now, never from replayed
// events, and never reaches back before the user joined the project.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { EVENT_ID_PATTERN, type StoredEvent } from "../store/store.ts";
import { createFanout, encodeMessage, resyncMessage, type Sink } from "./fanout.ts";
import type { EventHub } from "./hub.ts";
import { createStreamLimits, fileDescriptorLimit, processStreamCap } from "./limits.ts";
import { membershipsOf } from "./repository.ts";
import { eventsQuery } from "./schemas.ts";
import { createTickets, TICKET_TTL_SECONDS, ticketAuth } from "./tickets.ts";

const SSE_HEADERS = {
  "Content-Type": "text/event-stream",
  "Cache-Control": "no-cache, no-transform",
  "X-Accel-Buffering": "no",
};

export function eventRoutes(deps: Deps, hub: EventHub) {
  const { sql, store, config, metrics, log } = deps;
  const tickets = createTickets(store);
  const auth = requireAuth({ secret: config.jwtSecret, metrics, store });
  // A slot outlives a few missed heartbeats, no more: a replica that died frees its users' slots.
  const slotTtlSeconds = 3 * config.sseHeartbeatSeconds + 5;
  const limits = createStreamLimits({
    store,
    metrics,
    perUser: config.sseStreamsPerUser,
    perProcess: processStreamCap(fileDescriptorLimit(), config.sseStreamsMax),
    slotTtlSeconds,
  });
  const fanout = createFanout({
    hub,
    sql,
    store,
    log,
    metrics,
    heartbeatSeconds: config.sseHeartbeatSeconds,
    slotTtlSeconds,
  });

  return new Hono<AppEnv>()
    .post("/ticket", auth, async (c) =>
      c.json({ ticket: await tickets.issue(c.get("user")), expiresInSeconds: TICKET_TTL_SECONDS }, 201),
    )
    .get("/", ticketAuth({ tickets, metrics }), auth, validate("query", eventsQuery), async (c) => {
      const user = c.get("user");
      const requestedId = c.req.header("last-event-id") ?? c.req.valid("query").lastEventId;
      const resumeFrom = requestedId && EVENT_ID_PATTERN.test(requestedId) ? requestedId : undefined;

      const slot = await limits.admit(user.id);
      // Registered before anything is read: every event after the replay (or after the stream's
      // newest event, sent as the id of `ready`) reaches it.
      const stream = fanout.open(user, slot);
      c.req.raw.signal.addEventListener("abort", () => fanout.close(stream), { once: true });

      let replay: { events: StoredEvent[]; complete: boolean } | undefined;
      let head: string | undefined;
      let memberships: Map<string, number>;
      try {
        if (resumeFrom)
          replay = await store.eventsSince(resumeFrom).catch(() => ({ events: [], complete: false }));
        // Without a complete replay the client refetches, and continues from the stream's newest event.
        if (!replay?.complete) head = await store.lastEventId().catch(() => undefined);
        // Read after the replay was fetched, so a join the replay shows is already here.
        memberships = (await membershipsOf(sql, [user.id])).get(user.id) ?? new Map();
      } catch (error) {
        fanout.close(stream);
        throw error;
      }
      const opening = [
        encodeMessage({
          event: "ready",
          data: JSON.stringify({ projects: memberships.size }),
          retry: 2000,
          // The browser's Last-Event-ID from here on: a client that gets no event before it drops
          // still resumes from this point instead of silently missing what happened meanwhile.
          ...(head ? { id: head } : {}),
        }),
      ];
      if (replay && !replay.complete) opening.push(resyncMessage("events were missed"));
      const start = {
        opening,
        lastSent: head ?? resumeFrom ?? "0-0",
        memberships,
        replay: replay?.complete ? replay.events : [],
      };
      // Bun's direct stream: writes go to the socket without a promise each; the response lasts as
      // long as pull() has not resolved.
      const body = new ReadableStream({
        type: "direct",
        pull: (sink: Sink) => fanout.start(stream, sink, start),
        cancel: () => fanout.close(stream),
      });
      return new Response(body, { headers: SSE_HEADERS });
    });
}
