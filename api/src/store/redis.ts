// Redis-backed Store. Fails fast when Redis is unreachable (no offline queue, one retry, 1 s command
// timeout) so that requests answer 503 instead of hanging, and reconnects by itself in the background.
import Redis, { type RedisOptions, ReplyError } from "ioredis";
import { type Store, type StoredEvent, StoreUnavailableError, type WindowCount } from "./store.ts";

const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return 1
end
return 0`;

// KEYS: the counters, then the keys they depend on. ARGV[1]: the window; ARGV[1 + i]: the index in KEYS
// of counter i's `unless` key, 0 for none. Returns count and TTL per counter; -1, -1 when skipped.
const HIT = `
local out = {}
for i = 1, #ARGV - 1 do
  local unless = tonumber(ARGV[i + 1])
  if unless > 0 and redis.call('EXISTS', KEYS[unless]) == 1 then
    out[#out + 1] = -1
    out[#out + 1] = -1
  else
    local key = KEYS[i]
    local count = redis.call('INCR', key)
    if count == 1 then redis.call('EXPIRE', key, ARGV[1]) end
    local ttl = redis.call('TTL', key)
    if ttl < 0 then redis.call('EXPIRE', key, ARGV[1]); ttl = tonumber(ARGV[1]) end
    out[#out + 1] = count
    out[#out + 1] = ttl
  end
end
return out`;

// ARGV: one limit per key, then the window. Returns taken (1/0), then count and TTL per key.
const TAKE = `
local window = tonumber(ARGV[#KEYS + 1])
local taken = 1
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i]) then taken = 0 end
end
local out = { taken }
for _, key in ipairs(KEYS) do
  local count
  if taken == 1 then
    count = redis.call('INCR', key)
    if count == 1 then redis.call('EXPIRE', key, window) end
  else
    count = tonumber(redis.call('GET', key) or '0')
  end
  out[#out + 1] = count
  out[#out + 1] = redis.call('TTL', key)
end
return out`;

const GIVE_BACK = `
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then redis.call('DECR', key) end
end
return 0`;

// A sorted set of slots scored by expiry (ms, the caller's clock). ARGV: member, limit, now, ttl ms.
const CLAIM_SLOT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1`;

/** The scripts, registered with defineCommand: sent once, then run by SHA (EVALSHA). */
interface ScriptCommands {
  compareAndSet(key: string, expected: string, next: string, ttlSeconds: number): Promise<number>;
  hitWindows(numKeys: number, ...keysWindowUnless: (string | number)[]): Promise<number[]>;
  takeWindows(numKeys: number, ...keysLimitsWindow: (string | number)[]): Promise<number[]>;
  giveBack(numKeys: number, ...keys: string[]): Promise<number>;
  claimSlot(key: string, member: string, limit: number, now: number, ttlMs: number): Promise<number>;
}

export interface RedisStoreOptions {
  /** redis://…; with `sentinels` only its credentials and database number are used. */
  url?: string;
  password?: string;
  /** Reach the master named `sentinelName` through these Sentinels (and follow its failovers). */
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
  sentinelPassword?: string;
  keyPrefix: string;
  eventsRetained: number;
  /** Bounds every command so a stalled Redis turns into a fast 503, not a hung request. */
  commandTimeoutMs?: number;
  onError?: (error: Error) => void;
}

/** No byte back for this long after a command: the connection is dropped and opened again. */
export const SOCKET_TIMEOUT_MS = 3000;

function connectionOptions(options: RedisStoreOptions): RedisOptions {
  return {
    ...(options.password ? { password: options.password } : {}),
    lazyConnect: false,
    // No auto-pipelining: with it, a request could wait out two command timeouts while Redis hangs
    // (2 s instead of 1 s, measured by api/test/failures.suite.ts).
    enableAutoPipelining: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: options.commandTimeoutMs ?? 1000,
    // A connection that answers nothing for this long after a command is dead: a node that lost its
    // power sends no reset, and the timed-out commands alone never close it, so the client would keep
    // talking to the lost primary forever instead of asking the Sentinels again (swarm-test.sh --real).
    socketTimeout: SOCKET_TIMEOUT_MS,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
}

/**
 * Every Redis connection the API opens comes from here: one address (REDIS_URL) or the master that the
 * Sentinels name. Through Sentinel, a connection that drops asks the Sentinels again, a node that is no
 * longer master is refused (ioredis' role check on connect), and a connection still open to a demoted
 * master reconnects on its first READONLY reply. Not ioredis' failoverDetector: its +switch-master
 * handler, arriving while the client is already reconnecting, ends the client for good (status "end",
 * seen in api/test/failover.suite.ts: sign-ins answered 503 until the process restarted).
 */
function openRedis(options: RedisStoreOptions, overrides: RedisOptions = {}): Redis {
  const settings = { ...connectionOptions(options), ...overrides };
  if (!options.sentinels) return redisAt(options.url ?? "redis://127.0.0.1:6379", settings);
  const sentinel: RedisOptions = {
    ...settings,
    sentinels: options.sentinels,
    name: options.sentinelName ?? "taskplatform",
    ...(options.sentinelPassword ? { sentinelPassword: options.sentinelPassword } : {}),
    sentinelCommandTimeout: settings.connectTimeout,
    sentinelRetryStrategy: settings.retryStrategy,
    reconnectOnError: (error) => error.message.startsWith("READONLY"),
  };
  return options.url ? redisAt(options.url, sentinel) : new Redis(sentinel);
}

/**
 * What ioredis' own parser takes from a redis:// or rediss:// URL (address, credentials, database, TLS),
 * read with the WHATWG URL parser: ioredis' calls Node's url.parse(), whose deprecation warning cost
 * every start ~4 ms and wrote a line that is not JSON to stderr. As with `new Redis(url, options)`,
 * what the URL says wins over `options`. A URL with query options still goes to ioredis' parser.
 */
export function redisUrlOptions(url: string): RedisOptions | undefined {
  const parsed = new URL(url);
  if (parsed.search || !/^rediss?:$/.test(parsed.protocol)) return undefined;
  const fromUrl: RedisOptions = {};
  if (parsed.hostname) fromUrl.host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (parsed.port) fromUrl.port = Number(parsed.port);
  if (parsed.username || parsed.password) {
    fromUrl.username = decodeURIComponent(parsed.username);
    fromUrl.password = decodeURIComponent(parsed.password);
  }
  if (parsed.pathname.length > 1) fromUrl.db = Number(parsed.pathname.slice(1));
  if (parsed.protocol === "rediss:") fromUrl.tls = {};
  return fromUrl;
}

function redisAt(url: string, options: RedisOptions): Redis {
  const fromUrl = redisUrlOptions(url);
  return fromUrl ? new Redis({ ...options, ...fromUrl }) : new Redis(url, options);
}

/** How long the store answers "unavailable" at once after a failed command. */
export const BREAKER_MS = 2000;

/** A reconnecting client that missed more than this many events refetches instead. */
export const REPLAY_LIMIT = 1000;

type Entry = [id: string, fields: string[]];

function toEvents(entries: Entry[] | null | undefined): StoredEvent[] {
  return (entries ?? []).map(([id, fields]) => ({ id, data: fields[1] ?? "null" }));
}

export interface RedisStore extends Store {
  /** Resolves true once connected (commands fail fast before that), false after timeoutMs. */
  ready(timeoutMs: number): Promise<boolean>;
}

export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const redis = openRedis(options);
  redis.defineCommand("compareAndSet", { numberOfKeys: 1, lua: COMPARE_AND_SET });
  redis.defineCommand("hitWindows", { lua: HIT });
  redis.defineCommand("takeWindows", { lua: TAKE });
  redis.defineCommand("giveBack", { lua: GIVE_BACK });
  redis.defineCommand("claimSlot", { numberOfKeys: 1, lua: CLAIM_SLOT });
  const client = redis as Redis & ScriptCommands;
  // Blocking XREAD waits longer than the command timeout, so it gets its own connection without one,
  // opened when this instance gets its first SSE client (an idle replica holds one connection, not two).
  const reader = openRedis(options, {
    commandTimeout: undefined,
    // its XREAD BLOCK waits for data on purpose: the hub blocks 5 s at most (events/hub.ts), so a
    // reader silent for twice that is on a dead connection
    socketTimeout: 10_000,
    lazyConnect: true,
    autoResendUnfulfilledCommands: false,
  });
  const report = (error: Error) => options.onError?.(error);
  client.on("error", report);
  reader.on("error", () => {});

  const key = (name: string) => `${options.keyPrefix}${name}`;
  const stream = key("events");
  // Circuit breaker: a Redis that hangs (paused, overloaded, network black hole) would make every
  // command wait out the command timeout, and a request that needs three commands would take three
  // timeouts. After a command fails for a reason other than a Redis reply error, commands fail at once
  // for BREAKER_MS; then they try Redis again. A successful PING (readiness) closes the breaker early.
  let openUntil = 0;
  const guard = async <T>(run: () => Promise<T>, options: { breaker?: boolean } = {}): Promise<T> => {
    const breaker = options.breaker ?? true;
    if (breaker && Date.now() < openUntil)
      throw new StoreUnavailableError(new Error("redis unavailable (recent failure; retrying shortly)"));
    try {
      return await run();
    } catch (error) {
      if (breaker && !(error instanceof ReplyError)) openUntil = Date.now() + BREAKER_MS;
      throw new StoreUnavailableError(error);
    }
  };

  return {
    kind: "redis",
    ready: (timeoutMs) =>
      client.status === "ready"
        ? Promise.resolve(true)
        : new Promise((resolve) => {
            const timer = setTimeout(() => resolve(false), timeoutMs);
            client.once("ready", () => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
    get: (name) => guard(() => client.get(key(name))),
    // A reply Buffer owns its memory (never a SharedArrayBuffer).
    getBytes: (name) =>
      guard(async () => (await client.getBuffer(key(name))) as Uint8Array<ArrayBuffer> | null),
    set: (name, value, ttlSeconds) =>
      guard(async () => {
        const payload =
          typeof value === "string" ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        await client.set(key(name), payload, "EX", ttlSeconds);
      }),
    del: (...names) => guard(async () => void (names.length > 0 && (await client.del(...names.map(key))))),
    compareAndSet: (name, expected, next, ttlSeconds) =>
      guard(async () => (await client.compareAndSet(key(name), expected, next, ttlSeconds)) === 1),
    hit: (counters, windowSeconds) =>
      guard(async () => {
        if (counters.length === 0) return [];
        const keys = counters.map((counter) => key(typeof counter === "string" ? counter : counter.key));
        const unless = counters.map((counter) => {
          if (typeof counter === "string" || counter.unless === undefined) return 0;
          keys.push(key(counter.unless));
          return keys.length;
        });
        const flat = await client.hitWindows(keys.length, ...keys, windowSeconds, ...unless);
        return counters.map((_, i): WindowCount => {
          const count = flat[2 * i] ?? 0;
          if (count < 0) return { count: 0, resetSeconds: 0, skipped: true };
          return { count, resetSeconds: Math.max(1, flat[2 * i + 1] ?? 1) };
        });
      }),
    peek: (name) =>
      guard(async () => {
        const [[, count], [, ttl]] = (await client.multi().get(key(name)).ttl(key(name)).exec()) as [
          [unknown, string | null],
          [unknown, number],
        ];
        return { count: Number(count ?? 0), resetSeconds: Math.max(0, ttl) };
      }),
    take: (names, limits, windowSeconds) =>
      guard(async () => {
        const [taken, ...flat] = await client.takeWindows(
          names.length,
          ...names.map(key),
          ...limits,
          windowSeconds,
        );
        return {
          taken: taken === 1,
          windows: names.map((_, i) => ({
            count: flat[2 * i] ?? 0,
            resetSeconds: Math.max(1, flat[2 * i + 1] ?? 1),
          })),
        };
      }),
    giveBack: (names) =>
      guard(async () => void (names.length > 0 && (await client.giveBack(names.length, ...names.map(key))))),
    setAdd: (name, member, ttlSeconds) =>
      guard(
        async () => void (await client.multi().sadd(key(name), member).expire(key(name), ttlSeconds).exec()),
      ),
    setRemove: (name, member) => guard(async () => void (await client.srem(key(name), member))),
    setMembers: (name) => guard(() => client.smembers(key(name))),
    getMany: (names) => guard(async () => (names.length > 0 ? client.mget(...names.map(key)) : [])),
    claimSlot: (name, member, limit, ttlSeconds) =>
      guard(
        async () => (await client.claimSlot(key(name), member, limit, Date.now(), ttlSeconds * 1000)) === 1,
      ),
    renewSlots: (slots, ttlSeconds) =>
      guard(async () => {
        if (slots.length === 0) return;
        const expiresAt = Date.now() + ttlSeconds * 1000;
        const byKey = new Map<string, (string | number)[]>();
        for (const [name, member] of slots) {
          const scored = byKey.get(name) ?? [];
          if (scored.length === 0) byKey.set(name, scored);
          scored.push(expiresAt, member);
        }
        // One ZADD per key (a user's streams on this replica), not one per slot.
        const batch = client.pipeline();
        for (const [name, scored] of byKey)
          batch.zadd(key(name), "XX", ...scored).pexpire(key(name), ttlSeconds * 1000);
        await batch.exec();
      }),
    releaseSlot: (name, member) => guard(async () => void (await client.zrem(key(name), member))),
    getDel: (name) =>
      guard(async () => {
        const [[error, value]] = (await client.multi().get(key(name)).del(key(name)).exec()) as [
          [Error | null, string | null],
        ];
        if (error) throw error;
        return value;
      }),
    appendEvent: (data) =>
      guard(async () => {
        const id = await client.xadd(stream, "MAXLEN", "~", options.eventsRetained, "*", "data", data);
        return id ?? "0-0";
      }),
    lastEventId: () =>
      guard(async () => ((await client.xrevrange(stream, "+", "-", "COUNT", 1)) as Entry[])[0]?.[0] ?? "0-0"),
    readEvents: (afterId, blockMs) =>
      guard(
        async () => {
          if (reader.status === "wait") await reader.connect();
          // A blocking read fails when its connection drops. ioredis would otherwise resend it after
          // reconnecting, to a Redis that may have lost the stream meanwhile, and nobody would learn
          // of the gap (the reader connection does not resend: autoResendUnfulfilledCommands).
          return await new Promise<StoredEvent[]>((resolve, reject) => {
            const dropped = () => reject(new Error("event stream connection lost"));
            reader.once("close", dropped);
            (
              reader.call("XREAD", "BLOCK", blockMs, "COUNT", 500, "STREAMS", stream, afterId) as Promise<
                [string, Entry[]][] | null
              >
            )
              .then((result) => resolve(toEvents(result?.[0]?.[1])), reject)
              .finally(() => reader.off("close", dropped));
          });
        },
        { breaker: false },
      ),
    eventsSince: (afterId) =>
      guard(async () => {
        // Complete only if the client's last event is still in the stream: then nothing after it was
        // trimmed. A missing anchor means it was trimmed away, or Redis lost the stream (restart
        // without persistence) and with it whatever was published in between: the client must resync.
        const [[anchorError, anchor], [rangeError, range]] = (await client
          .multi()
          .xrange(stream, afterId, afterId)
          .xrange(stream, `(${afterId}`, "+", "COUNT", REPLAY_LIMIT)
          .exec()) as [[Error | null, Entry[]], [Error | null, Entry[]]];
        if (anchorError || rangeError) throw anchorError ?? rangeError;
        const events = toEvents(range);
        return { events, complete: anchor.length > 0 && events.length < REPLAY_LIMIT };
      }),
    ping: () =>
      guard(
        async () => {
          await client.ping();
          openUntil = 0;
        },
        { breaker: false },
      ).catch((error) => {
        openUntil = Date.now() + BREAKER_MS;
        throw error;
      }),
    async close() {
      reader.disconnect();
      await client.quit().catch(() => client.disconnect());
    },
  };
}
