import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await createTestApp();
  [alice, bob] = await Promise.all([t.signUp("Alice"), t.signUp("Bob")]);
}, 120_000);
afterAll(() => t.close());

type ExportDoc = {
  format: string;
  version: number;
  exportedAt: string;
  projects: Array<{ name: string; [key: string]: unknown }>;
};
const exportOf = async (token: string) => (await t.call("GET", "/api/export", { token })).body as ExportDoc;

describe("export and import", () => {
  test("export holds only my projects, with members, tasks and no internal ids", async () => {
    const mine = (
      await t.call("POST", "/api/projects", {
        token: alice.token,
        body: { name: "Alice's", description: "d" },
      })
    ).body;
    await t.call("POST", "/api/projects", { token: bob.token, body: { name: "Bob's" } });
    await t.call("POST", `/api/projects/${mine.id}/members`, {
      token: alice.token,
      body: { email: bob.email, role: "editor" },
    });
    await t.call("POST", "/api/tasks", {
      token: alice.token,
      body: {
        projectId: mine.id,
        title: "Plan",
        labels: ["x"],
        dueAt: "2030-03-03T10:00:00Z",
        assigneeId: bob.id,
        status: "done",
      },
    });
    const res = await t.call("GET", "/api/export", { token: alice.token });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("attachment");
    const doc = res.body as ExportDoc;
    expect(doc.format).toBe("taskplatform-export");
    expect(doc.projects.map((p) => p.name)).toEqual(["Alice's"]);
    const project = doc.projects[0] as unknown as {
      members: unknown[];
      tasks: Array<Record<string, unknown>>;
    };
    expect(project.members).toContainEqual({ email: bob.email, role: "editor" });
    expect(project.tasks[0]).toMatchObject({
      title: "Plan",
      assigneeEmail: bob.email,
      labels: ["x"],
      status: "done",
    });
    expect(JSON.stringify(doc)).not.toContain(mine.id);
  });

  test("export → import → export is lossless", async () => {
    const before = await exportOf(alice.token);
    const imported = await t.call("POST", "/api/import", { token: alice.token, body: before });
    expect(imported.status).toBe(201);
    expect(imported.body.projects).toHaveLength(before.projects.length);
    const after = await exportOf(alice.token);
    // Every project now exists twice: the original and its imported copy, identical in content.
    expect(after.projects).toHaveLength(before.projects.length * 2);
    for (const project of before.projects) {
      const copies = after.projects.filter((candidate) => candidate.name === project.name);
      expect(copies).toHaveLength(2);
      expect(copies[0]).toEqual(copies[1] as (typeof copies)[0]);
      expect(copies[1]).toEqual(project);
    }
  });

  test("import refuses documents that are not exports, with details", async () => {
    const bad = await t.call("POST", "/api/import", {
      token: alice.token,
      body: { format: "trello", projects: [] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.length).toBeGreaterThan(0);
    const badTask = await t.call("POST", "/api/import", {
      token: alice.token,
      body: {
        format: "taskplatform-export",
        version: 1,
        exportedAt: new Date().toISOString(),
        projects: [
          {
            name: "x",
            description: "",
            createdAt: new Date().toISOString(),
            updatedAt: new Date().toISOString(),
            members: [],
            tasks: [{ title: "" }],
          },
        ],
      },
    });
    expect(badTask.status).toBe(422);
    expect((await t.call("POST", "/api/import", { body: await exportOf(alice.token) })).status).toBe(401);
  });

  test("property: any valid document round-trips through import and export unchanged", async () => {
    const iso = fc
      .date({
        min: new Date("2000-01-01T00:00:00Z"),
        max: new Date("2099-12-31T00:00:00Z"),
        noInvalidDate: true,
      })
      .map((d) => d.toISOString());
    const text = (max: number) =>
      fc.string({ maxLength: max, unit: "grapheme" }).filter((s) => !s.includes("\u0000"));
    const task = fc.record({
      title: text(60)
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
      description: text(200),
      status: fc.constantFrom("todo", "in_progress", "done"),
      priority: fc.constantFrom("low", "medium", "high", "urgent"),
      dueAt: fc.option(iso, { nil: null }),
      labels: fc.uniqueArray(
        text(20)
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
        { maxLength: 4 },
      ),
      assigneeEmail: fc.constant(null),
      position: fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => n / 8),
      createdAt: iso,
      updatedAt: iso,
      completedAt: fc.option(iso, { nil: null }),
    });
    const project = fc.record({
      name: fc
        .stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,30}$/)
        .map((s) => `${s.trim()} ${crypto.randomUUID().slice(0, 8)}`),
      description: text(100),
      createdAt: iso,
      updatedAt: iso,
      members: fc.constant([]),
      tasks: fc.array(task, { maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(project, { minLength: 1, maxLength: 3 }), async (projects) => {
        const user = await t.signUp("Prop");
        const doc = {
          format: "taskplatform-export",
          version: 1,
          exportedAt: new Date().toISOString(),
          projects,
        };
        const res = await t.call("POST", "/api/import", { token: user.token, body: doc });
        expect(res.status).toBe(201);
        const exported = await exportOf(user.token);
        const normalise = (p: (typeof projects)[number] | ExportDoc["projects"][number]) => ({
          ...p,
          members: [],
          tasks: [...(p.tasks as Array<{ status: string; position: number; title: string }>)].sort(
            (a, b) =>
              a.status.localeCompare(b.status) || a.position - b.position || a.title.localeCompare(b.title),
          ),
        });
        const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
        expect(exported.projects.map(normalise).sort(byName)).toEqual(projects.map(normalise).sort(byName));
      }),
      { numRuns: 12 },
    );
  });
});
