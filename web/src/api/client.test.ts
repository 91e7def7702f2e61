import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  ApiError,
  allPages,
  api,
  fieldErrors,
  getAccessToken,
  humanize,
  refreshToken,
  request,
  setAccessToken,
} from "./client";

type Call = { url: string; init: RequestInit };
let calls: Call[] = [];
let replies: Array<(call: Call) => Response> = [];
const realFetch = globalThis.fetch;

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });

beforeEach(() => {
  calls = [];
  replies = [];
  setAccessToken(null);
  globalThis.fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const call = { url: String(input), init };
    calls.push(call);
    const reply = replies.shift();
    if (!reply) throw new Error(`unexpected fetch ${call.url}`);
    return reply(call);
  }) as typeof fetch;
});
afterEach(() => {
  globalThis.fetch = realFetch;
  setAccessToken(null);
});

describe("fieldErrors", () => {
  test("reads the API's zod issue list", () => {
    expect(
      fieldErrors([
        { path: "password", message: "Too small: expected string to have >=8 characters", code: "too_small" },
        { path: "currentPassword", message: "is incorrect", code: "custom" },
      ]),
    ).toEqual({
      password: "Too small: expected string to have >=8 characters.",
      currentPassword: "This is incorrect.",
    });
  });
  test("reads field maps and nested shapes, keeps the first message per field", () => {
    expect(fieldErrors({ fieldErrors: { name: ["Required", "Other"] } })).toEqual({ name: "Required." });
    expect(fieldErrors({ issues: [{ path: ["labels", 0], message: "Too long" }] })).toEqual({
      "labels.0": "Too long.",
    });
    expect(fieldErrors(null)).toEqual({});
    expect(fieldErrors("text")).toEqual({});
  });
  test("humanize", () => {
    expect(humanize("is not a member of the project")).toBe("This is not a member of the project.");
    expect(humanize("Already done!")).toBe("Already done!");
  });
});

describe("request", () => {
  test("sends the bearer token and JSON body", async () => {
    setAccessToken("tok-1");
    replies.push(() => json(201, { id: "p1", name: "A" }));
    const project = await api.createProject({ name: "A" });
    expect(project).toEqual({ id: "p1", name: "A" } as never);
    const headers = calls[0]?.init.headers as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer tok-1");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(calls[0]?.init.body).toBe('{"name":"A"}');
  });

  test("a 401 refreshes the token once and retries", async () => {
    setAccessToken("old");
    replies.push(() => json(401, { error: { code: "unauthorized", message: "expired" } }));
    replies.push(() => json(200, { accessToken: "new" }));
    replies.push((call) => json(200, { seen: (call.init.headers as Record<string, string>).Authorization }));
    const body = await request<{ seen: string }>("/api/projects");
    expect(body.seen).toBe("Bearer new");
    expect(calls.map((c) => c.url)).toEqual(["/api/projects", "/api/auth/refresh", "/api/projects"]);
    expect(getAccessToken()).toBe("new");
  });

  test("concurrent 401s share one refresh", async () => {
    setAccessToken("old");
    replies.push(() => json(401, {}));
    replies.push(() => json(401, {}));
    replies.push(() => json(200, { accessToken: "new" }));
    replies.push(() => json(200, { n: 1 }));
    replies.push(() => json(200, { n: 2 }));
    await Promise.all([request("/api/a"), request("/api/b")]);
    expect(calls.filter((c) => c.url === "/api/auth/refresh")).toHaveLength(1);
  });

  test("a refused refresh forgets the token and surfaces the 401", async () => {
    setAccessToken("old");
    replies.push(() => json(401, { error: { code: "unauthorized", message: "expired" } }));
    replies.push(() => json(401, { error: { code: "invalid_refresh_token", message: "gone" } }));
    const error = (await request("/api/projects").catch((e) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(401);
    expect(getAccessToken()).toBeNull();
  });

  test("a refresh answered 204 (no cookie: never signed in) means signed out, quietly", async () => {
    replies.push(() => new Response(null, { status: 204 }));
    expect(await refreshToken()).toBeNull();
    expect(getAccessToken()).toBeNull();
  });

  test("a 429 or 503 from refresh means retry later: the token is kept and the request fails with it", async () => {
    for (const status of [429, 503]) {
      setAccessToken("old");
      replies.push(() => json(401, { error: { code: "unauthorized", message: "expired" } }));
      replies.push(() =>
        json(status, { error: { code: "busy", message: "try again shortly" } }, { "Retry-After": "5" }),
      );
      const error = (await request("/api/projects").catch((e) => e)) as ApiError;
      expect(error).toBeInstanceOf(ApiError);
      expect(error.status).toBe(status);
      expect(error.retryAfterSeconds).toBe(5);
      expect(getAccessToken()).toBe("old");
    }
  });

  test("refreshes take the cross-tab lock (Web Locks) when the browser has it", async () => {
    const taken: string[] = [];
    let holding = false;
    const locks = {
      request: async (name: string, run: () => Promise<unknown>) => {
        taken.push(name);
        holding = true;
        try {
          return await run();
        } finally {
          holding = false;
        }
      },
    };
    Object.defineProperty(globalThis.navigator, "locks", { value: locks, configurable: true });
    try {
      replies.push(() => {
        expect(holding).toBe(true);
        return json(200, { accessToken: "new" });
      });
      expect(await refreshToken()).toBe("new");
      expect(taken).toEqual(["taskplatform-refresh"]);
    } finally {
      delete (globalThis.navigator as { locks?: unknown }).locks;
    }
  });

  test("errors carry status, code, message and field details", async () => {
    replies.push(() =>
      json(422, {
        error: {
          code: "validation_failed",
          message: "invalid body",
          details: [{ path: "title", message: "Too long" }],
        },
      }),
    );
    const error = (await api.createTask({ projectId: "p", title: "x" }).catch((e) => e)) as ApiError;
    expect(error.status).toBe(422);
    expect(error.code).toBe("validation_failed");
    expect(error.fields).toEqual({ title: "Too long." });
  });

  test("PATCH sends If-Match with the version", async () => {
    replies.push(() => json(200, { id: "t" }));
    await api.updateTask("t", { title: "x" }, 7);
    const headers = (calls[0]?.init.headers ?? {}) as Record<string, string>;
    expect(headers["If-Match"]).toBe('"7"');
  });

  test("a network failure becomes an ApiError with status 0", async () => {
    replies.push(() => {
      throw new TypeError("Failed to fetch");
    });
    const error = (await api.projects().catch((e) => e)) as ApiError;
    expect(error.status).toBe(0);
    expect(error.code).toBe("network");
  });

  test("204 has no body", async () => {
    replies.push(() => new Response(null, { status: 204 }));
    expect(await api.deleteTask("t")).toBeNull();
  });
});

test("allPages follows cursors", async () => {
  const pages: Record<string, { items: number[]; nextCursor: string | null }> = {
    start: { items: [1, 2], nextCursor: "c2" },
    c2: { items: [3], nextCursor: null },
  };
  expect(await allPages(async (cursor) => pages[cursor ?? "start"] as never)).toEqual([1, 2, 3]);
});
