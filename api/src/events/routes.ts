// GET /api/events: Server-Sent Events of the projects the user belongs to (and the user's own
// notifications), for as long as the user's
// access token and session last. POST /api/events/ticket trades the bearer token for a single-use
// ticket that EventSource can carry in the URL. Reconnects with Last-Event-ID replay what was missed
// while the stream still holds it (EVENTS_RETAINED events); otherwise the client gets `resync` and
// refetches. Which projects a user may see comes from PostgreSQL as of now, never from replayed
// events, and never reaches back before the user joined the project.
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import { sessionEnded } from "../auth/sessions.ts";
import type { Sql } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { compareEventIds, EVENT_ID_PATTERN, type StoredEvent } from "../store/store.ts";
import type { EventHub } from "./hub.ts";
import { isGapMarker } from "./publisher.ts";
import { eventsQuery } from "./schemas.ts";
import { createTickets, TICKET_TTL_SECONDS, ticketAuth } from "./tickets.ts";
import type { StoredDomainEvent, StreamResync } from "./types.ts";

const MEMBERSHIP_RECHECK_MS = 30_000;
/** How soon a stream ends after its session was signed out (or revoked by a password change). */
const SESSION_RECHECK_MS = 5_000;

/** Project id → when the user joined it (ms, the clock stream ids start with). */
type Memberships = Map<string, number>;

async function membershipsOf(sql: Sql, userId: string): Promise<Memberships> {
  const rows = await sql<{ projectId: string; joinedMs: string }[]>`
    SELECT project_id, floor(extract(epoch FROM created_at) * 1000)::bigint AS joined_ms
    FROM project_members WHERE user_id = ${userId}`;
  return new Map(rows.map((row) => [row.projectId, Number(row.joinedMs)]));
}

const eventMs = (id: string) => Number(id.split("-")[0]);

export function eventRoutes(deps: Deps, hub: EventHub) {
  const { sql, store, config, metrics } = deps;
  const tickets = createTickets(store);
  const auth = requireAuth({ secret: config.jwtSecret, metrics });

  return new Hono<AppEnv>()
    .post("/ticket", auth, async (c) =>
      c.json({ ticket: await tickets.issue(c.get("user")), expiresInSeconds: TICKET_TTL_SECONDS }, 201),
    )
    .get("/", ticketAuth({ tickets, metrics }), auth, validate("query", eventsQuery), async (c) => {
      const { id: userId, sessionId, expiresAt } = c.get("user");
      const requestedId = c.req.header("last-event-id") ?? c.req.valid("query").lastEventId;
      const resumeFrom = requestedId && EVENT_ID_PATTERN.test(requestedId) ? requestedId : undefined;

      // Subscribed before anything is read: every event after the replay (or after the stream's
      // newest event, sent as the id of `ready`) reaches `pending`.
      const pending: StoredEvent[] = [];
      let wake: (() => void) | undefined;
      let open = true;
      let gap = false;
      const stop = () => {
        open = false;
        wake?.();
      };
      const unsubscribe = hub.subscribe((event) => {
        pending.push(event);
        wake?.();
      });
      const offGap = hub.onGap(() => {
        gap = true;
        wake?.();
      });
      const offClose = hub.onClose(stop);
      const release = () => {
        unsubscribe();
        offGap();
        offClose();
      };

      let replay: { events: StoredEvent[]; complete: boolean } | undefined;
      let head: string | undefined;
      let memberships: Memberships;
      try {
        if (resumeFrom)
          replay = await store.eventsSince(resumeFrom).catch(() => ({ events: [], complete: false }));
        // Without a complete replay the client refetches, and continues from the stream's newest event.
        if (!replay?.complete) head = await store.lastEventId().catch(() => undefined);
        // Read after the replay was fetched, so a join the replay shows is already here.
        memberships = await membershipsOf(sql, userId);
      } catch (error) {
        release();
        throw error;
      }
      c.header("X-Accel-Buffering", "no");
      c.header("Cache-Control", "no-cache, no-transform");

      return streamSSE(c, async (stream) => {
        stream.onAbort(stop);
        metrics.sseClients.inc();
        let lastSent = head ?? resumeFrom ?? "0-0";

        /** Sends the event if it is the user's; `live` events may also change the user's projects. */
        const deliver = async (event: StoredEvent, live: boolean) => {
          if (compareEventIds(event.id, lastSent) <= 0) return;
          lastSent = event.id;
          const data = JSON.parse(event.data) as StoredDomainEvent;
          if (isGapMarker(data)) {
            await stream.writeSSE({ id: event.id, event: "resync", data: event.data });
            memberships = await membershipsOf(sql, userId).catch(() => memberships);
            return;
          }
          // A user's own events (their inbox) go to every connection of theirs, whatever the projects.
          if (data.recipientId !== undefined) {
            if (data.recipientId === userId)
              await stream.writeSSE({ id: event.id, event: data.type, data: event.data });
            return;
          }
          const aboutMe = "member" in data && data.member.userId === userId;
          const removesMe = (data.type === "member.removed" && aboutMe) || data.type === "project.deleted";
          // A live join is current (replayed ones may be long outdated): follow it at once. A project
          // someone creates (or imports) has them as its owner from the start.
          if (
            live &&
            !memberships.has(data.projectId) &&
            ((data.type === "member.added" && aboutMe) ||
              (data.type === "project.created" && data.actorId === userId))
          )
            memberships.set(data.projectId, eventMs(event.id));
          const joined = memberships.get(data.projectId);
          // Being removed is news to the removed user even when it is replayed after they left.
          const mine = joined !== undefined && eventMs(event.id) >= joined;
          if (!mine && !(data.type === "member.removed" && aboutMe)) return;
          await stream.writeSSE({ id: event.id, event: data.type, data: event.data });
          if (live && removesMe) memberships.delete(data.projectId);
        };

        try {
          await stream.writeSSE({
            event: "ready",
            data: JSON.stringify({ projects: memberships.size }),
            retry: 2000,
            // The browser's Last-Event-ID from here on: a client that gets no event before it drops
            // still resumes from this point instead of silently missing what happened meanwhile.
            ...(head ? { id: head } : {}),
          });
          if (replay && !replay.complete)
            await stream.writeSSE({
              event: "resync",
              data: JSON.stringify({ reason: "events were missed" } satisfies StreamResync),
            });
          for (const event of replay?.complete ? replay.events : []) await deliver(event, false);

          let nextHeartbeat = Date.now() + config.sseHeartbeatSeconds * 1000;
          let nextRecheck = Date.now() + MEMBERSHIP_RECHECK_MS;
          let nextSessionCheck = Date.now() + SESSION_RECHECK_MS;
          while (open && !stream.aborted) {
            if (gap) {
              // The shared stream was unreachable: events published meanwhile are lost for everyone.
              gap = false;
              await stream.writeSSE({
                event: "resync",
                data: JSON.stringify({ reason: "live updates were interrupted" } satisfies StreamResync),
              });
              memberships = await membershipsOf(sql, userId).catch(() => memberships);
            }
            for (const event of pending.splice(0)) await deliver(event, true);
            const now = Date.now();
            // The client reconnects with a fresh token (or finds its session gone).
            if (now >= expiresAt) break;
            if (now >= nextSessionCheck) {
              // A store that does not answer is not a signed-out session: keep streaming.
              if (await sessionEnded(store, sessionId).catch(() => false)) break;
              nextSessionCheck = now + SESSION_RECHECK_MS;
            }
            if (now >= nextHeartbeat) {
              await stream.write(": heartbeat\n\n");
              nextHeartbeat = now + config.sseHeartbeatSeconds * 1000;
            }
            if (now >= nextRecheck) {
              memberships = await membershipsOf(sql, userId).catch(() => memberships);
              nextRecheck = now + MEMBERSHIP_RECHECK_MS;
            }
            if (pending.length === 0) {
              const next = Math.min(nextHeartbeat, nextRecheck, nextSessionCheck, expiresAt);
              await new Promise<void>((resolve) => {
                wake = resolve;
                setTimeout(resolve, Math.max(10, next - Date.now()));
              });
              wake = undefined;
            }
          }
        } finally {
          release();
          metrics.sseClients.dec();
        }
      });
    });
}
