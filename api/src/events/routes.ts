// GET /api/events: Server-Sent Events of the projects the user belongs to. Reconnects with
// Last-Event-ID replay what was missed while the stream still holds it (EVENTS_RETAINED events);
// otherwise the client gets a `resync` event and refetches. Membership is re-checked: a user removed
// from a project stops receiving its events at once.
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { Sql } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { requireAuth } from "../http/auth.ts";
import type { AppEnv } from "../http/context.ts";
import { compareEventIds, EVENT_ID_PATTERN, type StoredEvent } from "../store/store.ts";
import type { EventHub } from "./hub.ts";
import type { DomainEvent } from "./publisher.ts";

const MEMBERSHIP_RECHECK_MS = 30_000;

async function projectIdsOf(sql: Sql, userId: string): Promise<Set<string>> {
  const rows = await sql<
    { projectId: string }[]
  >`SELECT project_id FROM project_members WHERE user_id = ${userId}`;
  return new Set(rows.map((row) => row.projectId));
}

export function eventRoutes(deps: Deps, hub: EventHub) {
  const { sql, store, config, metrics } = deps;
  const auth = requireAuth({ secret: config.jwtSecret, metrics, allowQueryToken: true });

  return new Hono<AppEnv>().get("/", auth, async (c) => {
    const userId = c.get("user").id;
    let projects = await projectIdsOf(sql, userId);
    const requestedId = c.req.header("last-event-id") ?? c.req.query("lastEventId");
    const resumeFrom = requestedId && EVENT_ID_PATTERN.test(requestedId) ? requestedId : undefined;
    c.header("X-Accel-Buffering", "no");
    c.header("Cache-Control", "no-cache, no-transform");

    return streamSSE(c, async (stream) => {
      const pending: StoredEvent[] = [];
      let wake: (() => void) | undefined;
      let open = true;
      let lastSent = resumeFrom ?? "0-0";

      const unsubscribe = hub.subscribe((event) => {
        pending.push(event);
        wake?.();
      });
      let gap = false;
      const offGap = hub.onGap(() => {
        gap = true;
        wake?.();
      });
      const offClose = hub.onClose(() => {
        open = false;
        wake?.();
      });
      stream.onAbort(() => {
        open = false;
        wake?.();
      });
      metrics.sseClients.inc();

      /** Sends the event if the user may see it, and keeps the project set in step with memberships. */
      const deliver = async (event: StoredEvent) => {
        if (compareEventIds(event.id, lastSent) <= 0) return;
        lastSent = event.id;
        const data = JSON.parse(event.data) as DomainEvent;
        const aboutMe = data.member?.userId === userId;
        if (data.type === "member.added" && aboutMe) projects.add(data.projectId);
        // A project someone creates (or imports) has them as its owner from the start.
        if (data.type === "project.created" && data.actorId === userId) projects.add(data.projectId);
        if (!projects.has(data.projectId)) return;
        await stream.writeSSE({ id: event.id, event: data.type, data: event.data });
        if ((data.type === "member.removed" && aboutMe) || data.type === "project.deleted")
          projects.delete(data.projectId);
      };

      try {
        await stream.writeSSE({
          event: "ready",
          data: JSON.stringify({ projects: projects.size }),
          retry: 2000,
        });
        if (resumeFrom) {
          const replay = await store.eventsSince(resumeFrom).catch(() => ({ events: [], complete: false }));
          if (!replay.complete)
            await stream.writeSSE({
              event: "resync",
              data: JSON.stringify({ reason: "events were missed" }),
            });
          for (const event of replay.events) await deliver(event);
        }
        let nextHeartbeat = Date.now() + config.sseHeartbeatSeconds * 1000;
        let nextRecheck = Date.now() + MEMBERSHIP_RECHECK_MS;
        while (open && !stream.aborted) {
          if (gap) {
            // The shared stream was unreachable: events published meanwhile are lost for everyone.
            gap = false;
            await stream.writeSSE({
              event: "resync",
              data: JSON.stringify({ reason: "live updates were interrupted" }),
            });
            projects = await projectIdsOf(sql, userId).catch(() => projects);
          }
          for (const event of pending.splice(0)) await deliver(event);
          const now = Date.now();
          if (now >= nextHeartbeat) {
            await stream.write(": heartbeat\n\n");
            nextHeartbeat = now + config.sseHeartbeatSeconds * 1000;
          }
          if (now >= nextRecheck) {
            projects = await projectIdsOf(sql, userId).catch(() => projects);
            nextRecheck = now + MEMBERSHIP_RECHECK_MS;
          }
          if (pending.length === 0) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, Math.max(10, Math.min(nextHeartbeat, nextRecheck) - Date.now()));
            });
            wake = undefined;
          }
        }
      } finally {
        unsubscribe();
        offGap();
        offClose();
        metrics.sseClients.dec();
      }
    });
  });
}
