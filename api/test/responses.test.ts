// The API's types (and the SPA's, imported from them) are z.infer of the response schemas the OpenAPI
// document shows. This checks the answers themselves against those schemas, exactly: a field that is
// missing, mistyped or not documented fails here, so neither the types nor the document can drift
// from what the routes send.
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { OPERATIONS } from "../src/openapi.ts";
import { type CallOptions, createTestApp, TEST_PASSWORD, type TestApp } from "./support/harness.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const operationOf = (method: string, url: string) => {
  const path = url.split("?")[0] ?? "";
  return OPERATIONS.find(
    (op) =>
      op.method === method.toLowerCase() &&
      new RegExp(`^${op.path.replace(/\{\w+\}/g, "[^/]+")}$`).test(path),
  );
};

/** Calls the route and returns its body after checking it against the documented response schema. */
async function documented(method: string, url: string, options: CallOptions = {}) {
  const res = await t.call(method, url, options);
  expect(res.status, `${method} ${url}: ${res.text}`).toBeLessThan(300);
  const schema = operationOf(method, url)?.response;
  if (!schema) throw new Error(`${method} ${url} documents no response`);
  const parsed = schema.safeParse(res.body);
  expect(parsed.error?.issues ?? [], `${method} ${url}`).toEqual([]);
  // Objects drop undocumented keys when parsed: equal means nothing was added either.
  expect(parsed.data, `${method} ${url}`).toEqual(res.body);
  return res.body;
}

test("every JSON answer is exactly its documented response schema", async () => {
  const other = await t.signUp("Other");
  const email = `responses-${crypto.randomUUID()}@example.test`;
  const registered = await t.call("POST", "/api/auth/register", {
    body: { email, password: TEST_PASSWORD, name: "Responses" },
  });
  await documented("POST", "/api/auth/register", {
    body: { email: `responses-${crypto.randomUUID()}@example.test`, password: TEST_PASSWORD, name: "R" },
  });
  const { accessToken: token } = await documented("POST", "/api/auth/login", {
    body: { email, password: TEST_PASSWORD },
  });
  const cookie = registered.headers.getSetCookie()[0]?.split(";")[0] ?? "";
  await documented("POST", "/api/auth/refresh", { cookie });
  await documented("GET", "/api/auth/me", { token });
  await documented("GET", "/api/auth/sessions", { token });

  const project = await documented("POST", "/api/projects", {
    token,
    body: { name: "Contract", description: "checked" },
  });
  await documented("GET", "/api/projects", { token });
  await documented("GET", `/api/projects/${project.id}`, { token });
  await documented("PATCH", `/api/projects/${project.id}`, { token, body: { name: "Contract 2" } });
  await documented("POST", `/api/projects/${project.id}/members`, {
    token,
    body: { email: other.email, role: "viewer" },
  });
  await documented("GET", `/api/projects/${project.id}/members`, { token });
  await documented("POST", `/api/projects/${project.id}/invitations`, {
    token,
    body: { email: "pending-contract@example.test", role: "viewer" },
  });
  const pending = await documented("GET", `/api/projects/${project.id}/invitations`, { token });
  await documented("POST", `/api/projects/${project.id}/invitations/${pending.items[0].id}/resend`, {
    token,
  });
  await documented("POST", "/api/auth/password-reset", { body: { email: "nobody-contract@example.test" } });
  await documented("PATCH", `/api/projects/${project.id}/members/${other.id}`, {
    token,
    body: { role: "editor" },
  });

  const task = await documented("POST", "/api/tasks", {
    token,
    body: {
      projectId: project.id,
      title: "Typed",
      description: "from the schema",
      dueAt: "2030-01-02T03:04:05.678Z",
      labels: ["api"],
      assigneeId: other.id,
    },
  });
  await documented("POST", "/api/tasks", { token, body: { projectId: project.id, title: "Bare" } });
  await documented("GET", `/api/tasks?projectId=${project.id}`, { token });
  await documented("GET", `/api/tasks?projectId=${project.id}&limit=1`, { token });
  await documented("GET", `/api/tasks/${task.id}`, { token });
  await documented("PATCH", `/api/tasks/${task.id}`, { token, body: { status: "done" } });
  await documented("POST", `/api/tasks/${task.id}/move`, { token, body: { status: "todo", position: 0 } });
  const item = await documented("POST", `/api/tasks/${task.id}/checklist`, { token, body: { text: "Step" } });
  await documented("POST", `/api/tasks/${task.id}/checklist`, {
    token,
    body: { text: "Done step", done: true },
  });
  await documented("PATCH", `/api/tasks/${task.id}/checklist/${item.id}`, { token, body: { done: true } });
  await documented("POST", `/api/tasks/${task.id}/checklist/${item.id}/move`, { token, body: { index: 1 } });
  await documented("GET", `/api/tasks/${task.id}/checklist`, { token });
  const comment = await documented("POST", `/api/tasks/${task.id}/comments`, {
    token,
    body: { body: `Hello @[Other](user:${other.id})` },
  });
  await documented("PATCH", `/api/tasks/${task.id}/comments/${comment.id}`, {
    token,
    body: { body: "**Edited**" },
  });
  await documented("GET", `/api/tasks/${task.id}/comments`, { token });
  await documented("GET", `/api/projects/${project.id}/task-counts`, { token });
  await documented("GET", `/api/tasks/${task.id}/activity`, { token });
  await documented("GET", `/api/projects/${project.id}/activity?limit=2`, { token });
  await documented("POST", `/api/tasks/${task.id}/archive`, { token });
  await documented("GET", `/api/tasks?projectId=${project.id}&archived=true`, { token });
  await documented("POST", `/api/tasks/${task.id}/restore`, { token });

  const labels = await documented("GET", `/api/projects/${project.id}/labels`, { token });
  expect(labels.items.map((label: { name: string }) => label.name)).toEqual(["api"]);
  const label = await documented("POST", `/api/projects/${project.id}/labels`, {
    token,
    body: { name: "design", color: "teal" },
  });
  await documented("PATCH", `/api/projects/${project.id}/labels/${label.id}`, {
    token,
    body: { name: "ux", color: "pink" },
  });

  const column = await documented("POST", `/api/projects/${project.id}/columns`, {
    token,
    body: { name: "Review", wipLimit: 3 },
  });
  await documented("GET", `/api/projects/${project.id}/columns`, { token });
  await documented("PATCH", `/api/projects/${project.id}/columns/${column.id}`, {
    token,
    body: { name: "QA", done: true, wipLimit: null },
  });
  await documented("POST", `/api/projects/${project.id}/columns/${column.id}/move`, {
    token,
    body: { position: 0 },
  });
  await documented("POST", `/api/tasks/${task.id}/move`, {
    token,
    body: { columnId: column.id, position: 0 },
  });
  await documented("GET", `/api/projects/${project.id}/board`, { token });

  const exported = await documented("GET", "/api/export", { token });
  await documented("POST", "/api/import?mode=restore&dryRun=true", { token, body: exported });
  await documented("POST", "/api/import?mode=copy", { token, body: exported });
  await documented("POST", "/api/events/ticket", { token });
  await documented("POST", `/api/projects/${project.id}/archive`, { token });
  await documented("POST", `/api/projects/${project.id}/restore`, { token });
});
