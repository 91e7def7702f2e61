// Publishes domain events to the shared stream after a write has committed. A store outage must not
// fail a write that PostgreSQL already acknowledged, so a failed publish is logged and, once the store
// answers again, a gap marker is appended: every client of every replica resyncs, whichever replica
// it is connected to (the failing publisher is often not the reader's process).
import type { Logger } from "../log.ts";
import type { Store } from "../store/store.ts";
import type { DomainEvent, StoredDomainEvent } from "./types.ts";

/** Sent to everyone: events were published while the store was unreachable, and are lost. */
export const GAP_MARKER: DomainEvent = {
  type: "resync",
  projectId: "",
  actorId: "",
  reason: "live updates were interrupted",
};

export const isGapMarker = (event: StoredDomainEvent) => event.type === "resync" && event.projectId === "";

const MARKER_RETRY_MS = 1000;

export type Publish = (event: DomainEvent) => Promise<void>;

export function createPublisher(store: Store, log: Logger): Publish {
  let markerOwed = false;
  const appendMarker = () => {
    // unref: a retry loop against a store that stays away must not keep a stopping process alive.
    setTimeout(async () => {
      try {
        await store.appendEvent(JSON.stringify(GAP_MARKER));
        markerOwed = false;
        log.info("event stream reachable again; clients told to resync");
      } catch {
        appendMarker();
      }
    }, MARKER_RETRY_MS).unref();
  };
  return async function publish(event) {
    try {
      await store.appendEvent(JSON.stringify(event));
    } catch (error) {
      log.warn("event not published; clients will resync", {
        type: event.type,
        projectId: event.projectId,
        reason: (error as Error).message,
      });
      if (!markerOwed) {
        markerOwed = true;
        appendMarker();
      }
    }
  };
}
