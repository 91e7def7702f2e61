// What createApp needs from the outside world; tests pass real servers or in-process stand-ins.
import type { BlobStore } from "./attachments/storage.ts";
import type { Config } from "./config.ts";
import type { Sql } from "./db/client.ts";
import type { Logger } from "./log.ts";
import type { Metrics } from "./metrics.ts";
import type { Store } from "./store/store.ts";

export interface Deps {
  sql: Sql;
  store: Store;
  config: Config & { jwtSecret: string };
  metrics: Metrics;
  log: Logger;
  /** Attachment bytes (attachments/storage.ts). */
  blobs: BlobStore;
}
