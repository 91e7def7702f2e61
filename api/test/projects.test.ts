import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

// Real servers, argon2id and property runs outlast the 5 s default on a loaded machine.
setDefaultTimeout(60_000);

let t: TestApp;
let owner: TestUser;
let editor: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let projectId: string;

beforeAll(async () => {
  t = await createTestApp();
  [owner, editor, viewer, outsider] = await Promise.all([
    t.signUp("Owner"),
    t.signUp("Editor"),
    t.signUp("Viewer"),
    t.signUp("Outsider"),
  ]);
  const created = await t.call("POST", "/api/projects", {
    token: owner.token,
    body: { name: "Launch", description: "Q4 launch" },
  });
  projectId = created.body.id;
  await t.call("POST", `/api/projects/${projectId}/members`, {
    token: owner.token,
    body: { email: editor.email, role: "editor" },
  });
  await t.call("POST", `/api/projects/${projectId}/members`, {
    token: owner.token,
    body: { email: viewer.email.toUpperCase(), role: "viewer" },
  });
}, 120_000);
afterAll(() => t.close());

describe("projects", () => {
  test("create returns the project with the creator as owner; list shows the caller's role", async () => {
    const res = await t.call("POST", "/api/projects", {
      token: editor.token,
      body: { name: "  Side project " },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: "Side project", description: "", role: "owner" });
    const list = await t.call("GET", "/api/projects", { token: editor.token });
    const roles = Object.fromEntries(
      list.body.items.map((p: { name: string; role: string }) => [p.name, p.role]),
    );
    expect(roles).toEqual({ Launch: "editor", "Side project": "owner" });
  });

  test("a project you are not a member of is 404 for every verb", async () => {
    expect((await t.call("GET", `/api/projects/${projectId}`, { token: outsider.token })).status).toBe(404);
    expect(
      (await t.call("PATCH", `/api/projects/${projectId}`, { token: outsider.token, body: { name: "x" } }))
        .status,
    ).toBe(404);
    expect((await t.call("DELETE", `/api/projects/${projectId}`, { token: outsider.token })).status).toBe(
      404,
    );
    expect(
      (await t.call("GET", `/api/projects/${projectId}/members`, { token: outsider.token })).status,
    ).toBe(404);
    expect((await t.call("GET", "/api/projects/not-a-uuid", { token: owner.token })).status).toBe(404);
    expect((await t.call("GET", `/api/projects/${crypto.randomUUID()}`, { token: owner.token })).status).toBe(
      404,
    );
  });

  test("only owners rename, delete and manage members", async () => {
    expect(
      (await t.call("PATCH", `/api/projects/${projectId}`, { token: editor.token, body: { name: "x" } }))
        .status,
    ).toBe(403);
    expect((await t.call("DELETE", `/api/projects/${projectId}`, { token: editor.token })).status).toBe(403);
    expect(
      (
        await t.call("POST", `/api/projects/${projectId}/members`, {
          token: editor.token,
          body: { email: outsider.email, role: "viewer" },
        })
      ).status,
    ).toBe(403);
    const renamed = await t.call("PATCH", `/api/projects/${projectId}`, {
      token: owner.token,
      body: { name: "Launch 2" },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: "Launch 2", description: "Q4 launch" });
    expect(
      (await t.call("PATCH", `/api/projects/${projectId}`, { token: owner.token, body: {} })).status,
    ).toBe(422);
  });

  test("members: list, invite, duplicate, change role, remove, leave", async () => {
    const members = await t.call("GET", `/api/projects/${projectId}/members`, { token: viewer.token });
    expect(members.status).toBe(200);
    expect(members.body.items.map((m: { role: string }) => m.role).sort()).toEqual([
      "editor",
      "owner",
      "viewer",
    ]);
    // An address without an account is invited (api/test/invitations.test.ts): the same answer.
    const unknown = await t.call("POST", `/api/projects/${projectId}/members`, {
      token: owner.token,
      body: { email: "nobody@example.test", role: "viewer" },
    });
    expect(unknown.status).toBe(202);
    expect(unknown.body).toEqual({ email: "nobody@example.test", role: "viewer" });
    const duplicate = await t.call("POST", `/api/projects/${projectId}/members`, {
      token: owner.token,
      body: { email: editor.email, role: "viewer" },
    });
    expect(duplicate.status).toBe(409);
    const badRole = await t.call("POST", `/api/projects/${projectId}/members`, {
      token: owner.token,
      body: { email: outsider.email, role: "admin" },
    });
    expect(badRole.status).toBe(422);
    const added = await t.call("POST", `/api/projects/${projectId}/members`, {
      token: owner.token,
      body: { email: outsider.email, role: "viewer" },
    });
    expect(added.status).toBe(202);
    const promoted = await t.call("PATCH", `/api/projects/${projectId}/members/${outsider.id}`, {
      token: owner.token,
      body: { role: "editor" },
    });
    expect(promoted.body.role).toBe("editor");
    // A member may leave on their own…
    expect(
      (await t.call("DELETE", `/api/projects/${projectId}/members/${outsider.id}`, { token: outsider.token }))
        .status,
    ).toBe(204);
    expect((await t.call("GET", `/api/projects/${projectId}`, { token: outsider.token })).status).toBe(404);
    // …but may not remove others without being owner.
    expect(
      (await t.call("DELETE", `/api/projects/${projectId}/members/${viewer.id}`, { token: editor.token }))
        .status,
    ).toBe(403);
    expect(
      (
        await t.call("DELETE", `/api/projects/${projectId}/members/${crypto.randomUUID()}`, {
          token: owner.token,
        })
      ).status,
    ).toBe(404);
  });

  test("the last owner cannot leave or be demoted; with a second owner they can", async () => {
    const leave = await t.call("DELETE", `/api/projects/${projectId}/members/${owner.id}`, {
      token: owner.token,
    });
    expect(leave.status).toBe(409);
    expect(leave.body.error.code).toBe("last_owner");
    expect(
      (
        await t.call("PATCH", `/api/projects/${projectId}/members/${owner.id}`, {
          token: owner.token,
          body: { role: "editor" },
        })
      ).status,
    ).toBe(409);
    await t.call("PATCH", `/api/projects/${projectId}/members/${editor.id}`, {
      token: owner.token,
      body: { role: "owner" },
    });
    expect(
      (
        await t.call("PATCH", `/api/projects/${projectId}/members/${owner.id}`, {
          token: owner.token,
          body: { role: "editor" },
        })
      ).status,
    ).toBe(200);
    // Two owners demoting each other at once: exactly one succeeds.
    await t.call("PATCH", `/api/projects/${projectId}/members/${owner.id}`, {
      token: editor.token,
      body: { role: "owner" },
    });
    const [a, b] = await Promise.all([
      t.call("PATCH", `/api/projects/${projectId}/members/${editor.id}`, {
        token: owner.token,
        body: { role: "viewer" },
      }),
      t.call("PATCH", `/api/projects/${projectId}/members/${owner.id}`, {
        token: editor.token,
        body: { role: "viewer" },
      }),
    ]);
    // The loser is refused either as last owner (409) or, already demoted, as no longer owner (403).
    expect([a.status, b.status].filter((status) => status === 200)).toHaveLength(1);
    const owners = (
      await t.call("GET", `/api/projects/${projectId}/members`, { token: viewer.token })
    ).body.items.filter((m: { role: string }) => m.role === "owner");
    expect(owners).toHaveLength(1);
  });

  test("deleting a project removes it and its tasks", async () => {
    const project = (await t.call("POST", "/api/projects", { token: viewer.token, body: { name: "Temp" } }))
      .body;
    const task = (
      await t.call("POST", "/api/tasks", { token: viewer.token, body: { projectId: project.id, title: "t" } })
    ).body;
    expect((await t.call("DELETE", `/api/projects/${project.id}`, { token: viewer.token })).status).toBe(204);
    expect((await t.call("GET", `/api/projects/${project.id}`, { token: viewer.token })).status).toBe(404);
    expect((await t.call("GET", `/api/tasks/${task.id}`, { token: viewer.token })).status).toBe(404);
  });
});
