// Rotation and grace rules with an injected clock (the HTTP tests cover the same rules on Redis).
import { expect, test } from "bun:test";
import { createMemoryStore } from "../store/memory.ts";
import { createSessions, GRACE_SECONDS } from "./sessions.ts";

const setup = () => {
  let clock = Date.parse("2030-01-01T00:00:00Z");
  const store = createMemoryStore({ eventsRetained: 10, now: () => clock });
  const sessions = createSessions(store, {
    ttlSeconds: 3600,
    accessTtlSeconds: 900,
    rotationKey: "k".repeat(32),
    now: () => clock,
  });
  return { sessions, advance: (ms: number) => (clock += ms) };
};
const context = { ip: "192.0.2.1", userAgent: "test" };

test("the just-rotated secret refreshes to the same token within the grace period, then counts as reuse", async () => {
  const { sessions, advance } = setup();
  const { refreshToken: first } = await sessions.create({ userId: "u", ...context });
  const rotated = await sessions.refresh(first, context);
  if (!rotated.ok) throw new Error("refresh failed");
  advance((GRACE_SECONDS - 1) * 1000);
  expect(await sessions.refresh(first, context)).toMatchObject({
    ok: true,
    refreshToken: rotated.refreshToken,
  });
  advance(2000);
  expect(await sessions.refresh(first, context)).toEqual({ ok: false, reason: "reused" });
  expect(await sessions.refresh(rotated.refreshToken, context)).toEqual({ ok: false, reason: "unknown" });
});

test("a secret the session never had is refused without ending it; end() needs a real one", async () => {
  const { sessions } = setup();
  const { session, refreshToken } = await sessions.create({ userId: "u", ...context });
  const forged = `${session.id}.${"A".repeat(43)}`;
  expect(await sessions.refresh(forged, context)).toEqual({ ok: false, reason: "mismatch" });
  await sessions.end(forged);
  expect(await sessions.get(session.id)).toBeDefined();
  await sessions.end(refreshToken);
  expect(await sessions.get(session.id)).toBeUndefined();
});
