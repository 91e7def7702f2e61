import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp } from "../test/support/harness.ts";
import { buildOpenApiDocument, OPERATIONS } from "./openapi.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

test("every route the app serves under /api is described, and nothing else", () => {
  const served = new Set(
    t.app.routes
      .filter(
        (route) => route.method !== "ALL" && route.path.startsWith("/api/") && !route.path.includes("*"),
      )
      .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`),
  );
  const documented = new Set(OPERATIONS.map((op) => `${op.method} ${op.path}`));
  expect([...served].sort()).toEqual([...documented].sort());
});

test("GET /api/openapi.json is OpenAPI 3.1 with JSON schemas from the validators", async () => {
  const res = await t.call("GET", "/api/openapi.json");
  expect(res.status).toBe(200);
  expect(res.body.openapi).toBe("3.1.0");
  const create = res.body.paths["/api/tasks"].post.requestBody.content["application/json"].schema;
  expect(create.required).toEqual(expect.arrayContaining(["projectId", "title"]));
  expect(create.additionalProperties).toBe(false);
  expect(create.properties.status.enum).toEqual(["todo", "in_progress", "done"]);
  const list = res.body.paths["/api/tasks"].get.parameters.map((p: { name: string }) => p.name);
  expect(list).toEqual(
    expect.arrayContaining([
      "projectId",
      "status",
      "priority",
      "label",
      "assigneeId",
      "dueBefore",
      "dueAfter",
      "q",
      "sort",
      "cursor",
      "limit",
    ]),
  );
  expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(res.body.info.version))));
});
