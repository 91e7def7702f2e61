// Bad input never yields a 500 or a hang: each case gets a 4xx in the one error shape.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
let user: TestUser;
let projectId: string;

beforeAll(async () => {
  t = await createTestApp();
  user = await t.signUp();
  projectId = await t.createProject(user, "Inputs");
}, 120_000);
afterAll(() => t.close());

const expectError = (
  res: { status: number; body: { error?: { code?: unknown; message?: unknown } } },
  status: number,
  code?: string,
) => {
  expect(res.status).toBe(status);
  expect(res.body.error?.code).toBeString();
  expect(res.body.error?.message).toBeString();
  if (code) expect(res.body.error?.code).toBe(code);
};

const post = (
  rawBody: RequestInit["body"],
  headers: Record<string, string> = { "content-type": "application/json" },
) => t.call("POST", "/api/tasks", { token: user.token, rawBody, headers });

describe("transport-level problems", () => {
  test("malformed JSON is 400", async () => {
    expectError(await post('{"title": '), 400, "malformed_json");
    expectError(await post("[1,2"), 400, "malformed_json");
    expectError(await post("{'single': 'quotes'}"), 400, "malformed_json");
  });

  test("invalid UTF-8 bytes are 400", async () => {
    expectError(await post(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 400, "malformed_json");
  });

  test("a body that is not JSON is 415", async () => {
    expectError(
      await post("title=x", { "content-type": "application/x-www-form-urlencoded" }),
      415,
      "unsupported_media_type",
    );
    expectError(await post("hello", { "content-type": "text/plain" }), 415);
    expectError(await post("{}", {}), 415);
  });

  test("bodies over 1 MiB are 413, with or without Content-Length", async () => {
    const big = JSON.stringify({ projectId, title: "x", description: "y".repeat(1024 * 1024) });
    expectError(await post(big), 413, "payload_too_large");
    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
        for (let i = 0; i < 20; i++) controller.enqueue(chunk);
        controller.close();
      },
    });
    expectError(await post(chunks), 413, "payload_too_large");
  });

  test("unknown routes and methods are 404 JSON", async () => {
    expectError(await t.call("GET", "/api/nope", { token: user.token }), 404, "not_found");
    expectError(await t.call("PUT", "/api/tasks", { token: user.token, body: {} }), 404);
    expectError(await t.call("GET", "/definitely/not/here"), 404);
  });

  test("missing auth is 401 before anything else", async () => {
    expectError(await t.call("POST", "/api/tasks", { body: { projectId, title: "x" } }), 401, "unauthorized");
    expectError(await t.call("GET", `/api/tasks?projectId=${projectId}`), 401);
    expectError(await t.call("GET", "/api/export"), 401);
  });
});

describe("schema violations are 422 with field details", () => {
  test("the message is a sentence a person understands, naming the field and its limit", async () => {
    const longTitle = await t.call("POST", "/api/tasks", {
      token: user.token,
      body: { projectId, title: "x".repeat(201) },
    });
    expectError(longTitle, 422, "validation_failed");
    expect(longTitle.body.error.message).toBe("Title must be at most 200 characters.");
    expect(longTitle.body.error.details[0].message).toBe("must be at most 200 characters");
    const longName = await t.call("POST", "/api/auth/register", {
      body: {
        email: "long-name@example.test",
        password: "correct horse battery staple",
        name: "n".repeat(101),
      },
    });
    expectError(longName, 422);
    expect(longName.body.error.message).toBe("Name must be at most 100 characters.");
    const tooManyLabels = await t.call("POST", "/api/tasks", {
      token: user.token,
      body: { projectId, title: "x", labels: Array.from({ length: 21 }, (_, i) => `l${i}`) },
    });
    expect(tooManyLabels.body.error.message).toBe("Labels must have at most 20 items.");
    for (const response of [longTitle, longName, tooManyLabels])
      expect(response.body.error.message).not.toMatch(/Too big|expected|invalid body/);
  });

  test("wrong types, missing fields, unknown fields, bad enums", async () => {
    const wrongType = await t.call("POST", "/api/tasks", {
      token: user.token,
      body: { projectId, title: 42 },
    });
    expectError(wrongType, 422, "validation_failed");
    expect(wrongType.body.error.details[0].path).toBe("title");
    expectError(await t.call("POST", "/api/tasks", { token: user.token, body: { projectId } }), 422);
    const unknown = await t.call("POST", "/api/tasks", {
      token: user.token,
      body: { projectId, title: "x", isAdmin: true },
    });
    expectError(unknown, 422);
    expect(JSON.stringify(unknown.body.error.details)).toContain("isAdmin");
    expectError(
      await t.call("POST", "/api/tasks", {
        token: user.token,
        body: { projectId, title: "x", status: "blocked" },
      }),
      422,
    );
    expectError(
      await t.call("POST", "/api/tasks", {
        token: user.token,
        body: { projectId, title: "x", dueAt: "tomorrow" },
      }),
      422,
    );
    expectError(
      await t.call("POST", "/api/tasks", {
        token: user.token,
        body: { projectId, title: "x", labels: "a,b" },
      }),
      422,
    );
    expectError(
      await t.call("POST", "/api/tasks", {
        token: user.token,
        body: { projectId: "../../etc/passwd", title: "x" },
      }),
      422,
    );
    expectError(await t.call("POST", "/api/tasks", { token: user.token, body: [] }), 422);
    expectError(await t.call("POST", "/api/tasks", { token: user.token, body: null }), 422);
    expectError(await t.call("POST", "/api/tasks", { token: user.token, body: "just a string" }), 422);
    expectError(
      await t.call("GET", `/api/tasks?projectId=${projectId}&limit=ten`, { token: user.token }),
      422,
    );
    expectError(await t.call("GET", `/api/tasks?projectId=${projectId}&evil=1`, { token: user.token }), 422);
  });

  test("length limits count characters, not bytes", async () => {
    const ok = await t.call("POST", "/api/tasks", {
      token: user.token,
      body: { projectId, title: "🙂".repeat(200) },
    });
    expect(ok.status).toBe(201);
    expectError(
      await t.call("POST", "/api/tasks", { token: user.token, body: { projectId, title: "🙂".repeat(201) } }),
      422,
    );
    expectError(
      await t.call("POST", "/api/tasks", { token: user.token, body: { projectId, title: "   " } }),
      422,
    );
    expectError(
      await t.call("POST", "/api/tasks", {
        token: user.token,
        body: { projectId, title: "x", description: "d".repeat(10_001) },
      }),
      422,
    );
    expectError(
      await t.call("POST", "/api/tasks", {
        token: user.token,
        body: { projectId, title: "x", labels: Array.from({ length: 21 }, (_, i) => `l${i}`) },
      }),
      422,
    );
  });

  test("NUL characters and lone surrogates are 422, in values and in keys", async () => {
    expectError(await post(`{"projectId":"${projectId}","title":"a\\u0000b"}`), 422, "invalid_characters");
    expectError(await post(`{"projectId":"${projectId}","title":"\\ud800"}`), 422, "invalid_characters");
    expectError(
      await post(`{"projectId":"${projectId}","title":"ok","labels":["\\udfff"]}`),
      422,
      "invalid_characters",
    );
    expectError(await post(`{"projectId":"${projectId}","ti\\u0000tle":"x"}`), 422, "invalid_characters");
    // A correctly paired surrogate (an emoji written as escapes) is fine.
    expect((await post(`{"projectId":"${projectId}","title":"\\ud83d\\ude00"}`)).status).toBe(201);
  });
});

describe("query parameters", () => {
  test("NUL characters and lone surrogates in query parameters are 422, not a database error", async () => {
    const cursorWithNul = Buffer.from(JSON.stringify(["a\u0000", crypto.randomUUID()])).toString("base64url");
    for (const query of [
      "label=a%00b",
      "q=%00",
      "q=x%00y",
      "cursor=%00",
      `cursor=${cursorWithNul}`,
      "x%00=1",
    ]) {
      const res = await t.call("GET", `/api/tasks?projectId=${projectId}&${query}`, { token: user.token });
      expect(`${query} → ${res.status}`).toBe(`${query} → 422`);
      expect(res.body.error.code).toBeString();
    }
  });
});

describe("labels and archive", () => {
  const labelsUrl = (project = projectId) => `/api/projects/${project}/labels`;
  const createLabel = (body: unknown, project = projectId) =>
    t.call("POST", labelsUrl(project), { token: user.token, body });

  test("names: NUL and lone surrogates 422, over 50 characters 422, blank 422, taken 409", async () => {
    const raw = (body: string) =>
      t.call("POST", labelsUrl(), {
        token: user.token,
        rawBody: body,
        headers: { "content-type": "application/json" },
      });
    expectError(await raw('{"name":"a\\u0000b"}'), 422, "invalid_characters");
    expectError(await raw('{"name":"\\ud800"}'), 422, "invalid_characters");
    expectError(await createLabel({ name: "n".repeat(51) }), 422, "validation_failed");
    expectError(await createLabel({ name: "   " }), 422, "validation_failed");
    expect((await createLabel({ name: "n".repeat(50) })).status).toBe(201);
    expectError(await createLabel({ name: "n".repeat(50) }), 409, "label_exists");
    expectError(await createLabel({ name: "x", extra: 1 }), 422, "validation_failed");
  });

  test("colours outside the palette are 422 and name the field", async () => {
    for (const color of ["#ff0000", "Red", "", "transparent", 3, null]) {
      const res = await createLabel({ name: `c ${String(color)}`, color });
      expectError(res, 422, "validation_failed");
      expect(res.body.error.details[0].path).toBe("color");
    }
    const label = (await createLabel({ name: "palette", color: "red" })).body;
    const res = await t.call("PATCH", `${labelsUrl()}/${label.id}`, {
      token: user.token,
      body: { color: "rgb(0,0,0)" },
    });
    expectError(res, 422, "validation_failed");
    expectError(
      await t.call("PATCH", `${labelsUrl()}/${label.id}`, { token: user.token, body: {} }),
      422,
      "validation_failed",
    );
  });

  test("a label id from another project, an unknown one or not an id at all: 404", async () => {
    const other = await t.createProject(user, "Other");
    const foreign = (await createLabel({ name: "foreign" }, other)).body;
    for (const method of ["PATCH", "DELETE"]) {
      const body = method === "PATCH" ? { name: "stolen" } : undefined;
      expectError(
        await t.call(method, `${labelsUrl()}/${foreign.id}`, { token: user.token, body }),
        404,
        "not_found",
      );
      expectError(
        await t.call(method, `${labelsUrl()}/${crypto.randomUUID()}`, { token: user.token, body }),
        404,
        "not_found",
      );
      expectError(await t.call(method, `${labelsUrl()}/nope`, { token: user.token, body }), 404, "not_found");
    }
    // Untouched in its own project.
    const theirs = await t.call("GET", labelsUrl(other), { token: user.token });
    expect(theirs.body.items.map((label: { name: string }) => label.name)).toEqual(["foreign"]);
  });

  test("archive filters: only false, true and include", async () => {
    for (const archived of ["yes", "1", "TRUE", "%00"]) {
      const res = await t.call("GET", `/api/tasks?projectId=${projectId}&archived=${archived}`, {
        token: user.token,
      });
      expect(`${archived} → ${res.status}`).toBe(`${archived} → 422`);
    }
    expectError(
      await t.call("POST", `/api/tasks/${crypto.randomUUID()}/archive`, { token: user.token }),
      404,
      "not_found",
    );
    expectError(await t.call("POST", "/api/tasks/nope/restore", { token: user.token }), 404, "not_found");
  });
});

describe("hostile strings are stored verbatim and returned as data", () => {
  test("SQL and HTML injection strings round-trip untouched", async () => {
    const strings = [
      "'; DROP TABLE tasks; --",
      '" OR 1=1 --',
      "<script>alert(document.cookie)</script>",
      "<img src=x onerror=alert(1)>",
      "$(rm -rf /)",
      "{{constructor.constructor('alert(1)')()}}",
      "Ünïcödé ✓ 日本語 עברית 🚀",
    ];
    for (const title of strings) {
      const created = await t.call("POST", "/api/tasks", {
        token: user.token,
        body: { projectId, title, description: title, labels: [title.slice(0, 50)] },
      });
      expect(created.status).toBe(201);
      const got = await t.call("GET", `/api/tasks/${created.body.id}`, { token: user.token });
      expect(got.body.title).toBe(title.trim());
      expect(got.body.description).toBe(title);
      expect(got.headers.get("content-type")).toContain("application/json");
    }
    expect((await t.sql`SELECT count(*)::int AS n FROM tasks`)[0]?.n).toBeGreaterThan(0);
  });
});

describe("checklists and comments", () => {
  const newTask = async () =>
    (await t.call("POST", "/api/tasks", { token: user.token, body: { projectId, title: "Talk" } })).body
      .id as string;

  test("an oversized comment and an over-long checklist item are 422 naming the field", async () => {
    const task = await newTask();
    const comment = await t.call("POST", `/api/tasks/${task}/comments`, {
      token: user.token,
      body: { body: "x".repeat(10_001) },
    });
    expectError(comment, 422, "validation_failed");
    expect(JSON.stringify(comment.body.error.details)).toContain("body");
    expectError(
      await t.call("POST", `/api/tasks/${task}/comments`, { token: user.token, body: { body: "   " } }),
      422,
    );
    expectError(
      await t.call("POST", `/api/tasks/${task}/checklist`, {
        token: user.token,
        body: { text: "y".repeat(501) },
      }),
      422,
    );
    // Characters, not bytes: 10,000 emoji are a valid comment.
    const emoji = await t.call("POST", `/api/tasks/${task}/comments`, {
      token: user.token,
      body: { body: "🚀".repeat(10_000) },
    });
    expect(emoji.status, emoji.text).toBe(201);
  });

  test("1,000 checklist items: the first 200 are stored, the rest are 422, never 5xx", async () => {
    const task = await newTask();
    const statuses: number[] = [];
    for (let batch = 0; batch < 1000; batch += 50) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, n) =>
          t.call("POST", `/api/tasks/${task}/checklist`, {
            token: user.token,
            body: { text: `item ${batch + n}` },
          }),
        ),
      );
      statuses.push(...answers.map((res) => res.status));
    }
    expect(statuses.filter((status) => status === 201)).toHaveLength(200);
    expect(statuses.filter((status) => status === 422)).toHaveLength(800);
    const list = await t.call("GET", `/api/tasks/${task}/checklist`, { token: user.token });
    expect(list.body.items).toHaveLength(200);
  });

  test("Markdown and HTML injection strings are stored verbatim as text", async () => {
    const task = await newTask();
    for (const body of [
      "<img src=x onerror=alert(1)>",
      "[x](javascript:alert(1))",
      "<script>alert(1)</script>",
      '<a href="javascript:alert(1)">x</a>',
      "![x](x onerror=alert(1))",
      "@[<img src=x onerror=alert(1)>](user:00000000-0000-0000-0000-000000000000)",
    ]) {
      const res = await t.call("POST", `/api/tasks/${task}/comments`, { token: user.token, body: { body } });
      if (body.startsWith("@[")) {
        // A mention of someone who is not a member.
        expectError(res, 422, "validation_failed");
        continue;
      }
      expect(res.status).toBe(201);
      expect(res.body.body).toBe(body);
      expect(res.headers.get("content-type")).toContain("application/json");
      const item = await t.call("POST", `/api/tasks/${task}/checklist`, {
        token: user.token,
        body: { text: body },
      });
      expect(item.body.text).toBe(body);
    }
  });

  test("mentions of non-members are 422; other users' tasks, comments and items are 404", async () => {
    const stranger = await t.signUp("Stranger");
    const task = await newTask();
    expectError(
      await t.call("POST", `/api/tasks/${task}/comments`, {
        token: user.token,
        body: { body: `hi @[Stranger](user:${stranger.id})` },
      }),
      422,
      "validation_failed",
    );
    const comment = (
      await t.call("POST", `/api/tasks/${task}/comments`, { token: user.token, body: { body: "mine" } })
    ).body;
    const item = (
      await t.call("POST", `/api/tasks/${task}/checklist`, { token: user.token, body: { text: "mine" } })
    ).body;
    for (const [method, path, body] of [
      ["GET", `/api/tasks/${task}/comments`, undefined],
      ["POST", `/api/tasks/${task}/comments`, { body: "hi" }],
      ["PATCH", `/api/tasks/${task}/comments/${comment.id}`, { body: "hi" }],
      ["DELETE", `/api/tasks/${task}/comments/${comment.id}`, undefined],
      ["GET", `/api/tasks/${task}/checklist`, undefined],
      ["POST", `/api/tasks/${task}/checklist`, { text: "hi" }],
      ["PATCH", `/api/tasks/${task}/checklist/${item.id}`, { done: true }],
      ["POST", `/api/tasks/${task}/checklist/${item.id}/move`, { index: 0 }],
      ["DELETE", `/api/tasks/${task}/checklist/${item.id}`, undefined],
      ["GET", `/api/tasks/${task}/activity`, undefined],
      ["GET", `/api/projects/${projectId}/activity`, undefined],
      ["GET", `/api/projects/${projectId}/task-counts`, undefined],
    ] as const) {
      expectError(
        await t.call(method, path, { token: stranger.token, ...(body ? { body } : {}) }),
        404,
        "not_found",
      );
    }
    // Ids that are not UUIDs, unknown ids, a bad cursor.
    expectError(await t.call("GET", "/api/tasks/nope/comments", { token: user.token }), 404);
    expectError(
      await t.call("GET", `/api/tasks/${crypto.randomUUID()}/checklist`, { token: user.token }),
      404,
    );
    expectError(
      await t.call("PATCH", `/api/tasks/${task}/comments/${crypto.randomUUID()}`, {
        token: user.token,
        body: { body: "x" },
      }),
      404,
    );
    expectError(await t.call("GET", `/api/tasks/${task}/activity?cursor=abc`, { token: user.token }), 422);
    expectError(
      await t.call("GET", `/api/tasks/${task}/activity?cursor=99999999999999999999`, { token: user.token }),
      422,
    );
  });
});

describe("property-based: no generated body makes the API fail", () => {
  test("arbitrary JSON bodies on task creation give 201 or a 4xx, never 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            projectId: fc.oneof(fc.constant(projectId), fc.uuid(), fc.string()),
            title: fc.oneof(fc.string({ maxLength: 250 }), fc.integer(), fc.constant(null)),
            description: fc.oneof(fc.string(), fc.string({ unit: "binary" })),
            status: fc.oneof(fc.constantFrom("todo", "in_progress", "done"), fc.string()),
            priority: fc.oneof(fc.constantFrom("low", "medium", "high", "urgent"), fc.string()),
            dueAt: fc.oneof(
              fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
              fc.string(),
              fc.constant(null),
            ),
            labels: fc.oneof(fc.array(fc.string({ maxLength: 60 }), { maxLength: 25 }), fc.anything()),
            extra: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        async (body) => {
          const res = await t.call("POST", "/api/tasks", { token: user.token, body });
          expect(res.status).toBeLessThan(500);
          if (res.status !== 201) expect(res.body.error.code).toBeString();
        },
      ),
      { numRuns: 150 },
    );
  });

  test("arbitrary query strings on the list give 200 or a 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            "status",
            "priority",
            "label",
            "q",
            "sort",
            "cursor",
            "limit",
            "dueBefore",
            "assigneeId",
            "x",
          ),
          fc.string({ unit: "binary" }),
        ),
        async (params) => {
          const query = new URLSearchParams({ projectId, ...params });
          const res = await t.call("GET", `/api/tasks?${query}`, { token: user.token });
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });
});
