// Dates in years 0001–0099 round-trip exactly (JavaScript reads "0099-06-01 00:00:00+00" as 1999);
// year 0000 does not exist in PostgreSQL's calendar and is refused.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

setDefaultTimeout(60_000);

let t: TestApp;
let user: TestUser;
let projectId: string;
beforeAll(async () => {
  t = await createTestApp();
  user = await t.signUp();
  projectId = await t.createProject(user, "Ancient");
}, 120_000);
afterAll(() => t.close());

test("years 0001–0099 survive create, GET, PATCH, list and export exactly", async () => {
  const created = await t.call("POST", "/api/tasks", {
    token: user.token,
    body: { projectId, title: "Found Rome", dueAt: "0099-06-01T00:00:00.000Z" },
  });
  expect(created.status).toBe(201);
  expect(created.body.dueAt).toBe("0099-06-01T00:00:00.000Z");
  const id = created.body.id;
  expect((await t.call("GET", `/api/tasks/${id}`, { token: user.token })).body.dueAt).toBe(
    "0099-06-01T00:00:00.000Z",
  );
  const patched = await t.call("PATCH", `/api/tasks/${id}`, {
    token: user.token,
    body: { dueAt: "0009-03-15T12:30:00.250+02:00" },
  });
  expect(patched.status).toBe(200);
  expect(patched.body.dueAt).toBe("0009-03-15T10:30:00.250Z");
  // A PATCH of another field keeps the stored date as it is.
  const renamed = await t.call("PATCH", `/api/tasks/${id}`, { token: user.token, body: { title: "Ides" } });
  expect(renamed.body.dueAt).toBe("0009-03-15T10:30:00.250Z");
  const list = await t.call("GET", `/api/tasks?projectId=${projectId}&dueBefore=0010-01-01T00:00:00Z`, {
    token: user.token,
  });
  expect(list.body.items.map((task: { dueAt: string }) => task.dueAt)).toEqual(["0009-03-15T10:30:00.250Z"]);
  const exported = await t.call("GET", "/api/export", { token: user.token });
  expect(exported.body.projects[0].tasks[0].dueAt).toBe("0009-03-15T10:30:00.250Z");
});

test("year 0000 is a 422, not a corrupted or failed write", async () => {
  const res = await t.call("POST", "/api/tasks", {
    token: user.token,
    body: { projectId, title: "Year zero", dueAt: "0000-06-01T00:00:00Z" },
  });
  expect(res.status).toBe(422);
  expect(res.body.error.details[0].path).toBe("dueAt");
});
