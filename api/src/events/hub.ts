// One reader per API instance follows the shared event stream and fans events out to this instance's
// SSE clients, so a write through any replica reaches clients connected to every replica.
import type { Logger } from "../log.ts";
import type { Store, StoredEvent } from "../store/store.ts";

const BLOCK_MS = 5000;
const RECOVERY_BLOCK_MS = 50;

export type Listener = (event: StoredEvent) => void;

export interface EventHub {
  subscribe(listener: Listener): () => void;
  /**
   * Called when the stream was unreachable for a while and is back: events published meanwhile were
   * lost (publishing fails while the store is down), so every client must refetch (`resync`).
   */
  onGap(callback: () => void): () => void;
  /** Ends every subscription (SIGTERM) and stops following the stream. */
  close(): void;
  onClose(callback: () => void): () => void;
}

export function createEventHub(store: Store, log: Logger): EventHub {
  const listeners = new Set<Listener>();
  const closers = new Set<() => void>();
  const gaps = new Set<() => void>();
  let running = false;
  let closed = false;

  // Follows the stream only while this instance has SSE clients.
  const follow = async () => {
    running = true;
    // Starts after the stream's newest event, asked of the store itself: a start computed from this
    // process's clock misses events appended in the same millisecond or by a store whose clock is behind.
    let lastId: string | undefined;
    let failing = false;
    while (listeners.size > 0 && !closed) {
      try {
        lastId ??= await store.lastEventId();
        // Back from a failure, a short read: clients learn of the gap now, not after a full block.
        const events = await store.readEvents(lastId, failing ? RECOVERY_BLOCK_MS : BLOCK_MS);
        if (failing) {
          log.info("event stream reconnected; clients will resync");
          for (const gap of gaps) gap();
        }
        failing = false;
        for (const event of events) {
          lastId = event.id;
          for (const listener of listeners) listener(event);
        }
      } catch (error) {
        if (closed) break;
        if (!failing) log.warn("event stream unavailable; retrying", { reason: (error as Error).message });
        failing = true;
        await Bun.sleep(1000);
      }
    }
    running = false;
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!running && !closed) void follow();
      return () => listeners.delete(listener);
    },
    onGap(callback) {
      gaps.add(callback);
      return () => gaps.delete(callback);
    },
    onClose(callback) {
      closers.add(callback);
      return () => closers.delete(callback);
    },
    close() {
      closed = true;
      for (const close of closers) close();
      closers.clear();
      listeners.clear();
      gaps.clear();
    },
  };
}
