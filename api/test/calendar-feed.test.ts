// The private calendar feed on real PostgreSQL and Redis: contents (read with ical.js), ETag/304,
// regenerate and revoke, the token as a credential of the feed only, hostile URLs, logs and limits.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { tokenHash } from "../src/auth/link-tokens.ts";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";
import { type ICAL, parseEvents } from "./support/ics.ts";

setDefaultTimeout(60_000);

const PUBLIC_URL = "https://tasks.example.test";
const FEED_URL = /^https:\/\/tasks\.example\.test\/api\/ical\/([A-Za-z0-9_-]{43})\.ics$/;

let t: TestApp;
let ada: TestUser;
let bob: TestUser;
let shared: string;

beforeAll(async () => {
  t = await createTestApp({ PUBLIC_URL, RATE_LIMIT_CALENDAR_FEED: "1000" });
  ada = await t.signUp("Ada");
  bob = await t.signUp("Bob");
  shared = await t.createProject(ada, "Launch", [[bob, "editor"]]);
}, 120_000);
afterAll(() => t.close());

/** A feed for `user` (POST); returns the URL's path and token. */
async function createFeed(user: TestUser, body: Record<string, unknown> = {}) {
  const res = await t.call("POST", "/api/me/calendar-feed", { token: user.token, body });
  expect(res.status).toBe(201);
  const [, token] = FEED_URL.exec(res.body.url) ?? [];
  if (!token) throw new Error(`not a feed URL: ${res.body.url}`);
  return { token, path: `/api/ical/${token}.ics`, body: res.body };
}

async function addTask(user: TestUser, projectId: string, body: Record<string, unknown>): Promise<string> {
  const res = await t.call("POST", "/api/tasks", { token: user.token, body: { projectId, ...body } });
  expect(res.status).toBe(201);
  return res.body.id;
}

/** The feed's events by task id. */
const eventsOf = (text: string): Map<string, ICAL.Event> =>
  new Map(parseEvents(text).map((event) => [event.uid.replace(/@tasks\.example\.test$/, ""), event]));

describe("the feed's contents", () => {
  let feed: Awaited<ReturnType<typeof createFeed>>;
  const ids = {} as Record<"mine" | "bobs" | "undated" | "done" | "archived" | "elsewhere", string>;

  beforeAll(async () => {
    const other = await t.createProject(bob, "Bob's own");
    ids.mine = await addTask(ada, shared, {
      title: "Mine",
      dueAt: "2027-01-10T00:00:00Z",
      assigneeId: ada.id,
    });
    ids.bobs = await addTask(ada, shared, {
      title: "Bob's",
      dueAt: "2027-01-11T15:45:00Z",
      assigneeId: bob.id,
    });
    ids.undated = await addTask(ada, shared, { title: "No date" });
    ids.done = await addTask(ada, shared, { title: "Done", dueAt: "2027-01-12T00:00:00Z", status: "done" });
    ids.archived = await addTask(ada, shared, { title: "Archived", dueAt: "2027-01-13T00:00:00Z" });
    expect((await t.call("POST", `/api/tasks/${ids.archived}/archive`, { token: ada.token })).status).toBe(
      200,
    );
    ids.elsewhere = await addTask(bob, other, { title: "Not Ada's project", dueAt: "2027-01-14T00:00:00Z" });
    feed = await createFeed(ada);
  });

  test("open, dated tasks of the user's projects, with stable UIDs and a URL back to each task", async () => {
    const res = await t.call("GET", feed.path);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/calendar; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    const events = eventsOf(res.text);
    expect([...events.keys()].sort()).toEqual([ids.mine, ids.bobs].sort());
    const mine = events.get(ids.mine);
    expect(mine?.summary).toBe("Mine");
    expect(mine?.startDate.toString()).toBe("2027-01-10");
    expect(mine?.component.getFirstPropertyValue("url")).toBe(
      `${PUBLIC_URL}/projects/${shared}?task=${ids.mine}`,
    );
    expect(events.get(ids.bobs)?.startDate.toJSDate().toISOString()).toBe("2027-01-11T15:45:00.000Z");
    // The same UID on the next fetch.
    expect([...eventsOf((await t.call("GET", feed.path)).text).keys()].sort()).toEqual(
      [...events.keys()].sort(),
    );
  });

  test("the option keeps the URL and narrows the feed to tasks assigned to the user", async () => {
    const patched = await t.call("PATCH", "/api/me/calendar-feed", {
      token: ada.token,
      body: { assignedOnly: true },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ enabled: true, assignedOnly: true });
    expect([...eventsOf((await t.call("GET", feed.path)).text).keys()]).toEqual([ids.mine]);
    await t.call("PATCH", "/api/me/calendar-feed", { token: ada.token, body: { assignedOnly: false } });
    expect(eventsOf((await t.call("GET", feed.path)).text).size).toBe(2);
  });

  test("ETag and If-None-Match: 304 while nothing changed, 200 with LAST-MODIFIED moved after an edit", async () => {
    const first = await t.call("GET", feed.path);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^"[^"]+"$/);
    const again = await t.call("GET", feed.path, { headers: { "if-none-match": etag as string } });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    expect(again.headers.get("etag")).toBe(etag);
    // A list of tags, one of them current, is a match too.
    const listed = await t.call("GET", feed.path, { headers: { "if-none-match": `"stale", ${etag}` } });
    expect(listed.status).toBe(304);

    const edited = await t.call("PATCH", `/api/tasks/${ids.bobs}`, {
      token: bob.token,
      body: { title: "Bob's, renamed" },
    });
    expect(edited.status).toBe(200);
    const changed = await t.call("GET", feed.path, { headers: { "if-none-match": etag as string } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    const event = eventsOf(changed.text).get(ids.bobs);
    expect(event?.summary).toBe("Bob's, renamed");
    // iCalendar times have whole seconds: the edit's time, cut to the second.
    const lastModified = event?.component.getFirstPropertyValue("last-modified") as ICAL.Time;
    const editedAt = new Date(edited.body.updatedAt);
    editedAt.setUTCMilliseconds(0);
    expect(lastModified.toJSDate().toISOString()).toBe(editedAt.toISOString());
    expect(event?.component.getFirstPropertyValue("dtstamp")?.toString()).toBe(lastModified.toString());
  });

  test("leaving a project takes its tasks out of the feed", async () => {
    const bobFeed = await createFeed(bob);
    expect(eventsOf((await t.call("GET", bobFeed.path)).text).has(ids.mine)).toBe(true);
    expect(
      (await t.call("DELETE", `/api/projects/${shared}/members/${bob.id}`, { token: ada.token })).status,
    ).toBe(204);
    const events = eventsOf((await t.call("GET", bobFeed.path)).text);
    expect(events.has(ids.mine)).toBe(false);
    expect(events.has(ids.elsewhere)).toBe(true);
  });
});

describe("repeating tasks", () => {
  /** The first `limit` start instants of an event's series, as ical.js expands them. */
  const expand = (event: ICAL.Event | undefined, limit = 10) => {
    if (!event) throw new Error("no event");
    const iterator = event.iterator();
    const starts: string[] = [];
    for (let next = iterator.next(); next && starts.length < limit; next = iterator.next())
      starts.push(next.toJSDate().toISOString());
    return starts;
  };

  test("a task repeating from its due date expands in its zone across DST, as the API's next occurrences", async () => {
    const cleo = await t.signUp("Cleo");
    const projectId = await t.createProject(cleo, "Rituals");
    // No zone in the task: the owner's preference is the rule's zone.
    const zone = await t.call("PUT", "/api/me/preferences", {
      token: cleo.token,
      body: { timeZone: "Europe/Paris" },
    });
    expect(zone.status).toBe(200);
    // Mondays and Thursdays at 09:00 in Paris; Paris moves to summer time on Sunday 2027-03-28.
    const weekly = await addTask(cleo, projectId, {
      title: "Stand-up",
      dueAt: "2027-03-22T08:00:00Z",
      recurrence: { rule: "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=4" },
    });
    const fromCompletion = await addTask(cleo, projectId, {
      title: "Water the plants",
      dueAt: "2027-03-23T17:00:00Z",
      recurrence: { rule: "FREQ=DAILY;INTERVAL=3", from: "completion" },
    });
    const feed = await createFeed(cleo);
    const text = (await t.call("GET", feed.path)).text;
    const events = eventsOf(text);
    const event = events.get(weekly);
    expect(event?.startDate.zone?.tzid).toBe("Europe/Paris");
    expect(event?.startDate.toString()).toBe("2027-03-22T09:00:00");
    const expected = [
      "2027-03-22T08:00:00.000Z",
      "2027-03-25T08:00:00.000Z",
      "2027-03-29T07:00:00.000Z",
      "2027-04-01T07:00:00.000Z",
    ];
    expect(expand(event)).toEqual(expected);
    // Its next dates depend on when it is done: one event, no RRULE.
    expect(events.get(fromCompletion)?.isRecurring()).toBe(false);

    // Completing it: the API's next occurrence is the feed's second date, and its event goes on from there.
    const done = await t.call("PATCH", `/api/tasks/${weekly}`, {
      token: cleo.token,
      body: { status: "done" },
    });
    expect(done.status).toBe(200);
    const after = eventsOf((await t.call("GET", feed.path)).text);
    expect(after.has(weekly)).toBe(false);
    const [nextId] = [...after.keys()].filter((id) => id !== fromCompletion);
    const next = await t.call("GET", `/api/tasks/${nextId}`, { token: cleo.token });
    expect(next.body.dueAt).toBe(expected[1]);
    expect(expand(after.get(nextId as string))).toEqual(expected.slice(1));
  });

  test("in UTC: a UTC start, no VTIMEZONE, the same expansion", async () => {
    const dan = await t.signUp("Dan");
    const projectId = await t.createProject(dan, "Daily");
    const daily = await addTask(dan, projectId, {
      title: "Inbox zero",
      dueAt: "2027-05-03T06:30:00Z",
      recurrence: { rule: "FREQ=DAILY;COUNT=3", timeZone: "UTC" },
    });
    const feed = await createFeed(dan);
    const text = (await t.call("GET", feed.path)).text;
    expect(text).not.toContain("BEGIN:VTIMEZONE");
    expect(expand(eventsOf(text).get(daily))).toEqual([
      "2027-05-03T06:30:00.000Z",
      "2027-05-04T06:30:00.000Z",
      "2027-05-05T06:30:00.000Z",
    ]);
  });
});

describe("create, regenerate, revoke", () => {
  test("status never shows the URL; only the token's hash is stored", async () => {
    const carol = await t.signUp("Carol");
    const none = await t.call("GET", "/api/me/calendar-feed", { token: carol.token });
    expect(none.body).toEqual({ enabled: false, assignedOnly: false, createdAt: null, lastUsedAt: null });
    const { token, path, body } = await createFeed(carol, { assignedOnly: true });
    expect(body).toMatchObject({ enabled: true, assignedOnly: true, lastUsedAt: null });
    expect((await t.call("GET", path)).status).toBe(200);
    const status = await t.call("GET", "/api/me/calendar-feed", { token: carol.token });
    expect(status.headers.get("cache-control")).toBe("no-store");
    expect(status.body).toMatchObject({ enabled: true, assignedOnly: true });
    expect(status.body.lastUsedAt).not.toBeNull();
    expect(status.text).not.toContain(token);
    const rows = await t.sql`SELECT * FROM calendar_feeds WHERE user_id = ${carol.id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]?.tokenHash).toBe(tokenHash(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  test("regenerating kills the old URL at once; the option is kept", async () => {
    const dan = await t.signUp("Dan");
    const old = await createFeed(dan, { assignedOnly: true });
    const fresh = await createFeed(dan);
    expect(fresh.token).not.toBe(old.token);
    expect(fresh.body.assignedOnly).toBe(true);
    expect((await t.call("GET", old.path)).status).toBe(404);
    expect((await t.call("GET", fresh.path)).status).toBe(200);
  });

  test("revoking answers 404 on the next request; revoking twice is fine; PATCH then needs a feed", async () => {
    const eve = await t.signUp("Eve");
    const { path } = await createFeed(eve);
    expect((await t.call("GET", path)).status).toBe(200);
    expect((await t.call("DELETE", "/api/me/calendar-feed", { token: eve.token })).status).toBe(204);
    const gone = await t.call("GET", path);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe("not_found");
    expect((await t.call("DELETE", "/api/me/calendar-feed", { token: eve.token })).status).toBe(204);
    expect((await t.call("GET", "/api/me/calendar-feed", { token: eve.token })).body.enabled).toBe(false);
    const patch = await t.call("PATCH", "/api/me/calendar-feed", {
      token: eve.token,
      body: { assignedOnly: true },
    });
    expect(patch.status).toBe(404);
  });

  test("managing a feed needs a signed-in user; bad bodies are 422", async () => {
    for (const method of ["GET", "POST", "PATCH", "DELETE"])
      expect((await t.call(method, "/api/me/calendar-feed", { body: {} })).status).toBe(401);
    for (const body of [{ assignedOnly: "yes" }, { assignedOnly: true, token: "x" }, [], "a"]) {
      const res = await t.call("POST", "/api/me/calendar-feed", { token: ada.token, body });
      expect(res.status).toBe(422);
    }
    const patch = await t.call("PATCH", "/api/me/calendar-feed", { token: ada.token, body: {} });
    expect(patch.status).toBe(422);
    expect(patch.body.error.details[0].path).toBe("assignedOnly");
  });
});

describe("the token is a credential of the feed only", () => {
  test("the feed token as a Bearer token is 401; an access token in the feed URL is 404", async () => {
    const { token } = await createFeed(ada);
    for (const path of ["/api/auth/me", "/api/projects", "/api/me/calendar-feed"])
      expect((await t.call("GET", path, { token })).status).toBe(401);
    expect((await t.call("GET", `/api/ical/${ada.token}.ics`)).status).toBe(404);
    expect((await t.call("GET", `/api/ical/${encodeURIComponent(`Bearer ${ada.token}`)}.ics`)).status).toBe(
      404,
    );
  });

  test("hostile and malformed feed URLs are 404 JSON, never 500", async () => {
    const { token } = await createFeed(bob);
    const paths = [
      `/api/ical/${token}`,
      `/api/ical/${token}.ICS`,
      `/api/ical/${token}.ics.ics`,
      `/api/ical/${token.slice(1)}.ics`,
      `/api/ical/${token}A.ics`,
      `/api/ical/${token.slice(0, 42)}%00.ics`,
      `/api/ical/${token.slice(0, 42)}'.ics`,
      "/api/ical/'%20OR%201=1;--.ics",
      "/api/ical/..%2F..%2Fetc%2Fpasswd.ics",
      `/api/ical/${"A".repeat(43)}.ics`,
      `/api/ical/${"é".repeat(43)}.ics`,
      `/api/ical/${"A".repeat(20_000)}.ics`,
      `/api/ical/${token}.ics/more`,
      "/api/ical/",
    ];
    for (const path of paths) {
      const res = await t.call("GET", path);
      expect({ path: path.slice(0, 80), status: res.status }).toEqual({
        path: path.slice(0, 80),
        status: 404,
      });
      expect(res.body.error.code).toBe("not_found");
    }
    for (const method of ["POST", "PUT", "DELETE"])
      expect((await t.call(method, `/api/ical/${token}.ics`, { body: {} })).status).toBe(404);
  });

  test("the request log never has a feed's token", async () => {
    const { token, path } = await createFeed(ada);
    await t.call("GET", path);
    await t.call("GET", `/api/ical/${token.slice(1)}.ics`);
    // An encoded path reaching the same route is logged redacted too.
    expect((await t.call("GET", `/api/%69cal/${token}.ics`)).status).toBe(200);
    for (const path of [`/api/ical%2F${token}.ics`, `//api//ical/${token}.ics`, `/API/Ical/${token}.ics`])
      expect((await t.call("GET", path)).status).toBe(404);
    // A token in the wrong place is not written either.
    expect((await t.call("GET", `/api/tasks/${token}`, { token: ada.token })).status).toBe(404);
    const logs = t.logs.join("\n");
    expect(logs).toContain('"path":"/api/ical/[redacted]"');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(token.slice(1));
  });
});

describe("limits and metrics", () => {
  let limited: TestApp;
  afterAll(() => limited?.close());

  test("each feed is limited on its own (429 + Retry-After); every result is counted", async () => {
    limited = await createTestApp({ PUBLIC_URL, RATE_LIMIT_CALENDAR_FEED: "3" });
    const user = await limited.signUp("Fay");
    const other = await limited.signUp("Gus");
    const feedOf = async (u: TestUser) => {
      const res = await limited.call("POST", "/api/me/calendar-feed", { token: u.token, body: {} });
      return new URL(res.body.url).pathname;
    };
    const path = await feedOf(user);
    const first = await limited.call("GET", path);
    expect(first.status).toBe(200);
    expect(
      (await limited.call("GET", path, { headers: { "if-none-match": first.headers.get("etag") ?? "" } }))
        .status,
    ).toBe(304);
    expect((await limited.call("GET", path)).status).toBe(200);
    const refused = await limited.call("GET", path);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // Another feed from the same address (a calendar service fetching many feeds) is not held back.
    expect((await limited.call("GET", await feedOf(other))).status).toBe(200);
    expect((await limited.call("GET", `/api/ical/${"x".repeat(43)}.ics`)).status).toBe(404);

    const counted = Object.fromEntries(
      (await limited.metrics.calendarFeedRequests.get()).values.map((v) => [v.labels.result, v.value]),
    );
    expect(counted).toEqual({ ok: 3, not_modified: 1, rate_limited: 1, not_found: 1 });
    const text = await limited.metrics.registry.metrics();
    expect(text).toContain('calendar_feed_requests_total{result="rate_limited"} 1');
    expect(text).toContain('rate_limited_total{scope="calendar_feed"} 1');
  });
});
