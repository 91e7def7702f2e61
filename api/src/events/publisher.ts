// Publishes domain events to the shared stream after a write has committed. A store outage must not
// fail a write that PostgreSQL already acknowledged, so failures are logged and clients resync later.
import type { Logger } from "../log.ts";
import type { Store } from "../store/store.ts";

export type EventType =
  | "task.created"
  | "task.updated"
  | "task.moved"
  | "task.deleted"
  | "project.created"
  | "project.updated"
  | "project.deleted"
  | "member.added"
  | "member.updated"
  | "member.removed"
  /** the project's board changed wholesale (a column was renumbered): refetch it */
  | "resync";

export interface DomainEvent {
  type: EventType;
  projectId: string;
  actorId: string;
  task?: unknown;
  project?: unknown;
  member?: { userId: string; role?: string };
}

export type Publish = (event: DomainEvent) => Promise<void>;

export function createPublisher(store: Store, log: Logger): Publish {
  return async function publish(event) {
    try {
      await store.appendEvent(JSON.stringify(event));
    } catch (error) {
      log.warn("event not published", {
        type: event.type,
        projectId: event.projectId,
        reason: (error as Error).message,
      });
    }
  };
}
