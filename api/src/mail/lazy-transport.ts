// nodemailer is loaded with the first mail, not at start: a replica may serve for hours before it sends
// one, and loading it took ~10 ms of every start and ~2 MB of idle memory (docs/benchmarks.md).
import type * as Nodemailer from "nodemailer";

/** A transport created by `create` on first use; close() closes it only if it was ever created. */
export function lazyTransport<Transport extends { close(): void }>(
  create: (nodemailer: typeof Nodemailer) => Transport,
): { get(): Promise<Transport>; close(): void } {
  let transport: Promise<Transport> | undefined;
  return {
    get: () => {
      transport ??= import("nodemailer").then(create);
      return transport;
    },
    close: () => void transport?.then((opened) => opened.close()).catch(() => {}),
  };
}
