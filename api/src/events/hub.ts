// One reader per API instance follows the shared event stream and fans events out to this instance's
// SSE clients, so a write through any replica reaches clients connected to every replica.
import type { Logger } from "../log.ts";
import type { Store, StoredEvent } from "../store/store.ts";

export type Listener = (event: StoredEvent) => void;

export interface EventHub {
  subscribe(listener: Listener): () => void;
  /** Ends every subscription (SIGTERM) and stops following the stream. */
  close(): void;
  onClose(callback: () => void): () => void;
}

export function createEventHub(store: Store, log: Logger): EventHub {
  const listeners = new Set<Listener>();
  const closers = new Set<() => void>();
  let running = true;
  // Stream ids start with the millisecond time, so "now" means: only events from here on.
  let lastId = `${Date.now()}-0`;

  const follow = async () => {
    let failing = false;
    while (running) {
      try {
        const events = await store.readEvents(lastId, 5000);
        if (failing) log.info("event stream reconnected");
        failing = false;
        for (const event of events) {
          lastId = event.id;
          for (const listener of listeners) listener(event);
        }
      } catch (error) {
        if (!running) break;
        if (!failing) log.warn("event stream unavailable; retrying", { reason: (error as Error).message });
        failing = true;
        await Bun.sleep(1000);
      }
    }
  };
  void follow();

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onClose(callback) {
      closers.add(callback);
      return () => closers.delete(callback);
    },
    close() {
      running = false;
      for (const close of closers) close();
      closers.clear();
      listeners.clear();
    },
  };
}
