// REDIS_URL read without ioredis' url.parse(): the client ends up with the options ioredis' own parser
// would have given it.
import { expect, test } from "bun:test";
import Redis from "ioredis";
import { redisUrlOptions } from "./redis.ts";

const settings = { lazyConnect: true, password: "from-REDIS_PASSWORD", db: 3, commandTimeout: 1000 };
const picked = (redis: Redis) => {
  const { host, port, db, username, password, tls, commandTimeout } = redis.options;
  return { host, port, db, username, password, tls: Boolean(tls), commandTimeout };
};

test.each([
  "redis://127.0.0.1:6379",
  "redis://cache:6379/0",
  "redis://redis:6379/12",
  "redis://from-file",
  "rediss://:pw@cache:6380/0",
  "redis://user:p%40ss%3Aword@host:7000/2",
  "redis://only-user@host",
  "redis://[::1]:6390/1",
  "redis://host/",
])("%s: the options ioredis' parser gives", (url) => {
  const fromUrl = redisUrlOptions(url);
  expect(fromUrl).toBeDefined();
  const ours = new Redis({ ...settings, ...fromUrl });
  const theirs = new Redis(url, settings);
  expect(picked(ours)).toEqual(picked(theirs));
  ours.disconnect();
  theirs.disconnect();
});

test("a URL with query options is left to ioredis' parser", () => {
  expect(redisUrlOptions("redis://cache:6379/0?family=6")).toBeUndefined();
});
