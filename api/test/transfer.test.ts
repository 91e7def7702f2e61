import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { LABEL_COLORS } from "../src/labels/schemas.ts";
import { NOTIFICATION_KINDS, type NotificationKind } from "../src/notifications/schemas.ts";
import {
  DEFAULT_PREFERENCES,
  MAIL_DELIVERIES,
  type MailDelivery,
  type Preferences,
} from "../src/preferences/schemas.ts";
import { MAX_REPORTED_ISSUES } from "../src/transfer/schemas.ts";
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

type ExportedTask = { id?: string; title: string; assigneeEmail: string | null; [key: string]: unknown };
type ExportedProject = {
  id?: string;
  name: string;
  members: { email: string; role: string }[];
  tasks: ExportedTask[];
  [key: string]: unknown;
};
type ExportDoc = {
  format: string;
  version: number;
  exportedAt: string;
  preferences?: Preferences;
  projects: ExportedProject[];
};

const exportOf = async (token: string) => (await t.call("GET", "/api/export", { token })).body as ExportDoc;
const importAs = (token: string, body: unknown, query = "") =>
  t.call("POST", `/api/import${query}`, { token, body });
const projectNames = async (token: string) =>
  ((await t.call("GET", "/api/projects", { token })).body.items as { name: string }[]).map((p) => p.name);
const addTask = async (token: string, projectId: string, body: Record<string, unknown>) =>
  (await t.call("POST", "/api/tasks", { token, body: { projectId, ...body } })).body;
/** Without project, task and column ids; a task's column is named by its index in the project's columns. */
const withoutIds = (projects: ExportedProject[]): ExportedProject[] =>
  projects.map(({ id: _id, tasks, columns, ...project }) => {
    const list = (columns ?? []) as { id: string }[];
    return {
      ...project,
      ...(columns ? { columns: list.map(({ id: _columnId, ...column }) => column) } : {}),
      tasks: tasks.map(({ id: _taskId, ...task }) => {
        const { columnId, ...rest } = task as { columnId?: string };
        return columnId === undefined ? rest : { ...rest, column: list.findIndex((c) => c.id === columnId) };
      }) as ExportedTask[],
    };
  });

/** Exactly what the previous version exported: format version 1, no ids. */
const versionOneFile = () => ({
  format: "taskplatform-export",
  version: 1,
  exportedAt: "2026-01-05T09:00:00.000Z",
  projects: [
    {
      name: `Old file ${crypto.randomUUID().slice(0, 8)}`,
      description: "from before restore",
      createdAt: "2025-12-01T10:00:00.000Z",
      updatedAt: "2025-12-02T10:00:00.000Z",
      members: [] as { email: string; role: string }[],
      tasks: [
        {
          title: "Carried over",
          description: "",
          status: "in_progress",
          priority: "high",
          dueAt: null,
          labels: ["a"],
          assigneeEmail: null as string | null,
          position: 1024,
          createdAt: "2025-12-01T10:00:00.000Z",
          updatedAt: "2025-12-01T11:00:00.000Z",
          completedAt: null,
        },
      ],
    },
  ],
});

describe("export", () => {
  test("holds only my projects, with members, tasks and their ids; people by e-mail only", async () => {
    const mine = await t.createProject(alice, "Alice's");
    await t.createProject(bob, "Bob's");
    await t.call("POST", `/api/projects/${mine}/members`, {
      token: alice.token,
      body: { email: bob.email, role: "editor" },
    });
    const task = await addTask(alice.token, mine, {
      title: "Plan",
      labels: ["x"],
      dueAt: "2030-03-03T10:00:00Z",
      assigneeId: bob.id,
      status: "done",
    });
    const res = await t.call("GET", "/api/export", { token: alice.token });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("attachment");
    const doc = res.body as ExportDoc;
    expect(doc).toMatchObject({ format: "taskplatform-export", version: 4 });
    // The exporter's mail preferences, and nothing secret: no token, no hash, no id.
    expect(doc.preferences).toEqual(DEFAULT_PREFERENCES);
    expect(doc.projects.map((p) => p.name)).toEqual(["Alice's"]);
    const [project] = doc.projects;
    expect(project?.id).toBe(mine);
    expect(project?.members).toContainEqual({ email: bob.email, role: "editor" });
    expect(project?.tasks[0]).toMatchObject({
      id: task.id,
      title: "Plan",
      assigneeEmail: bob.email,
      labels: ["x"],
      status: "done",
    });
    // Format 3: the board's columns, and each task's column.
    const columns = project?.columns as { id: string; name: string; kind: string; done: boolean }[];
    expect(columns.map(({ name, kind, done }) => ({ name, kind, done }))).toEqual([
      { name: "To do", kind: "todo", done: false },
      { name: "In progress", kind: "in_progress", done: false },
      { name: "Done", kind: "done", done: true },
    ]);
    expect(project?.tasks[0]?.columnId).toBe(columns[2]?.id);
    expect(JSON.stringify(doc)).not.toContain(bob.id);
    expect(JSON.stringify(doc)).not.toContain(alice.id);
  });
});

describe("import as a copy", () => {
  test("a dry run says what would be created and writes nothing", async () => {
    const before = await exportOf(alice.token);
    const namesBefore = await projectNames(alice.token);
    const preview = await importAs(alice.token, before, "?mode=copy&dryRun=true");
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ mode: "copy", dryRun: true, tasks: 1, skippedMembers: 1 });
    expect(preview.body.projects).toEqual([
      {
        id: null,
        name: "Alice's",
        action: "created",
        tasks: { created: 1, updated: 0, deleted: 0 },
        skippedMembers: 1,
        unassignedTasks: 1,
      },
    ]);
    expect(await projectNames(alice.token)).toEqual(namesBefore);
  });

  test("creates new projects with the same content; other people are neither added nor assigned", async () => {
    const before = await exportOf(alice.token);
    const bobsBefore = await projectNames(bob.token);
    const imported = await importAs(alice.token, before, "?mode=copy");
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({
      mode: "copy",
      dryRun: false,
      skippedMembers: 1,
      unassignedTasks: 1,
    });
    const copyId = imported.body.projects[0].id;
    expect(copyId).not.toBe(before.projects[0]?.id);
    // Bob is in the original, not in the copy: he does not see it.
    expect(await projectNames(bob.token)).toEqual(bobsBefore);
    const members = await t.call("GET", `/api/projects/${copyId}/members`, { token: alice.token });
    expect(members.body.items.map((m: { userId: string; role: string }) => [m.userId, m.role])).toEqual([
      [alice.id, "owner"],
    ]);
    const copy = (await exportOf(alice.token)).projects.find((p) => p.id === copyId);
    const [original] = withoutIds(before.projects);
    expect(withoutIds(copy ? [copy] : [])).toEqual([
      {
        ...original,
        members: [{ email: alice.email, role: "owner" }],
        tasks: (original?.tasks ?? []).map((task) => ({ ...task, assigneeEmail: null })),
      } as typeof original & object,
    ]);
  });

  test("a file from the previous version (format 1, no ids) imports unchanged", async () => {
    const file = versionOneFile();
    file.projects[0]?.members.push({ email: alice.email, role: "editor" });
    if (file.projects[0]?.tasks[0]) file.projects[0].tasks[0].assigneeEmail = alice.email;
    // No mode: a copy, as before.
    const res = await importAs(alice.token, file);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ mode: "copy", tasks: 1, skippedMembers: 0, unassignedTasks: 0 });
    const exported = (await exportOf(alice.token)).projects.find((p) => p.name === file.projects[0]?.name);
    // The same content; today's fields come with their defaults: not archived, the task's label managed
    // with the default colour, and its tasks in the first column of their status's kind (the default
    // columns here).
    const [fileProject] = file.projects;
    const kinds = ["todo", "in_progress", "done"];
    expect(withoutIds(exported ? [exported] : [])).toEqual([
      {
        ...fileProject,
        archivedAt: null,
        labels: [{ name: "a", color: "slate" }],
        members: [{ email: alice.email, role: "owner" }],
        columns: [
          { name: "To do", kind: "todo", done: false, wipLimit: null, position: 1024 },
          { name: "In progress", kind: "in_progress", done: false, wipLimit: null, position: 2048 },
          { name: "Done", kind: "done", done: true, wipLimit: null, position: 3072 },
        ],
        tasks: (fileProject?.tasks ?? []).map((task) => ({
          ...task,
          archivedAt: null,
          column: kinds.indexOf(task.status),
        })),
      } as never,
    ]);
  });

  test("format 2 files, before archiving and as archiving wrote them (archivedAt, label colours, no columns), restore unchanged", async () => {
    const kinds = ["todo", "in_progress", "done"];
    const defaultColumns = [
      { name: "To do", kind: "todo", done: false, wipLimit: null, position: 1024 },
      { name: "In progress", kind: "in_progress", done: false, wipLimit: null, position: 2048 },
      { name: "Done", kind: "done", done: true, wipLimit: null, position: 3072 },
    ];
    const asVersionTwo = (archiving: boolean) => {
      const file = { ...versionOneFile(), version: 2 };
      const [project] = file.projects;
      if (!project?.tasks[0]) throw new Error("no task");
      Object.assign(project, { id: crypto.randomUUID() });
      Object.assign(project.tasks[0], { id: crypto.randomUUID() });
      if (archiving) {
        Object.assign(project, {
          archivedAt: "2025-12-03T10:00:00.000Z",
          labels: [
            { name: "a", color: "teal" },
            { name: "spare", color: "pink" },
          ],
        });
        Object.assign(project.tasks[0], { archivedAt: "2025-12-02T12:00:00.000Z" });
      }
      return file;
    };
    for (const archiving of [false, true]) {
      const file = asVersionTwo(archiving);
      const res = await importAs(alice.token, file, "?mode=restore");
      expect(res.status).toBe(201);
      const [fileProject] = file.projects as ExportedProject[];
      const exported = (await exportOf(alice.token)).projects.find((p) => p.id === fileProject?.id);
      expect(exported?.tasks.map((task) => task.id)).toEqual(fileProject?.tasks.map((task) => task.id));
      // The same content; what the file lacks comes with today's defaults: the default columns (its
      // task in the first of its status's kind), not archived, labels in the default colour.
      const [plain] = withoutIds(fileProject ? [fileProject] : []);
      const given = fileProject as ExportedProject & { archivedAt?: string; labels?: unknown[] };
      expect(withoutIds(exported ? [exported] : [])).toEqual([
        {
          ...plain,
          archivedAt: given.archivedAt ?? null,
          labels: given.labels ?? [{ name: "a", color: "slate" }],
          members: [{ email: alice.email, role: "owner" }],
          columns: defaultColumns,
          tasks: (plain?.tasks ?? []).map((task) => ({
            ...task,
            archivedAt: (task as { archivedAt?: string }).archivedAt ?? null,
            column: kinds.indexOf(task.status as string),
          })),
        } as never,
      ]);
    }
  });
});

describe("import restores", () => {
  test("my own export puts my projects back in place: same ids, no copies, later changes undone", async () => {
    const project = await t.createProject(alice, "Restorable");
    const keep = await addTask(alice.token, project, { title: "Keep", description: "original" });
    const lose = await addTask(alice.token, project, { title: "Deleted later" });
    const snapshot = await exportOf(alice.token);
    const projectsBefore = (await projectNames(alice.token)).length;

    await t.call("PATCH", `/api/projects/${project}`, { token: alice.token, body: { name: "Renamed" } });
    await t.call("PATCH", `/api/tasks/${keep.id}`, { token: alice.token, body: { description: "edited" } });
    await t.call("DELETE", `/api/tasks/${lose.id}`, { token: alice.token });
    const added = await addTask(alice.token, project, { title: "Added later" });
    const listed = await t.call("GET", `/api/tasks?projectId=${project}`, { token: alice.token });
    expect(listed.body.items).toHaveLength(2); // cached now: the restore must invalidate it

    const preview = await importAs(alice.token, snapshot, "?mode=restore&dryRun=true");
    expect(preview.status).toBe(200);
    const restoredPreview = preview.body.projects.find((p: { id: string }) => p.id === project);
    expect(restoredPreview).toMatchObject({
      action: "restored",
      name: "Restorable",
      tasks: { created: 1, updated: 1, deleted: 1 },
    });
    expect(await projectNames(alice.token)).toContain("Renamed");

    const restored = await importAs(alice.token, snapshot, "?mode=restore");
    expect(restored.status).toBe(201);
    expect(restored.body.projects.every((p: { action: string }) => p.action === "restored")).toBe(true);
    expect((await projectNames(alice.token)).length).toBe(projectsBefore);
    const after = await exportOf(alice.token);
    expect(after.projects).toEqual(snapshot.projects);
    const tasks = await t.call("GET", `/api/tasks?projectId=${project}&sort=title`, { token: alice.token });
    expect(tasks.body.items.map((task: { id: string }) => task.id).sort()).toEqual([keep.id, lose.id].sort());
    expect((await t.call("GET", `/api/tasks/${added.id}`, { token: alice.token })).status).toBe(404);
    // An edit based on the version before the restore is stale.
    const stale = await t.call("PATCH", `/api/tasks/${keep.id}`, {
      token: alice.token,
      body: { title: "x" },
      headers: { "if-match": `"${keep.version + 1}"` },
    });
    expect(stale.status).toBe(409);
  });

  test("columns come back too: a column added since goes, a deleted one returns with its tasks", async () => {
    const project = await t.createProject(alice, "Board restore");
    const review = (
      await t.call("POST", `/api/projects/${project}/columns`, {
        token: alice.token,
        body: { name: "Review", wipLimit: 2 },
      })
    ).body;
    const task = await addTask(alice.token, project, { title: "In review", columnId: review.id });
    const snapshot = await exportOf(alice.token);
    const board = async () =>
      (await t.call("GET", `/api/projects/${project}/board`, { token: alice.token })).body as {
        columns: { id: string; name: string; wipLimit: number | null }[];
        tasks: { id: string; columnId: string }[];
      };
    const before = await board();

    const [todo] = before.columns;
    await t.call("DELETE", `/api/projects/${project}/columns/${review.id}?moveTo=${todo?.id}`, {
      token: alice.token,
    });
    await t.call("POST", `/api/projects/${project}/columns`, { token: alice.token, body: { name: "Later" } });
    expect((await importAs(alice.token, snapshot, "?mode=restore")).status).toBe(201);
    const after = await board();
    expect(after.columns).toEqual(before.columns);
    expect(after.tasks.find((t) => t.id === task.id)?.columnId).toBe(review.id);
  });

  test("a deleted project comes back with its ids; members are not re-added", async () => {
    const project = await t.createProject(alice, "Deleted and back");
    // Cached while empty: the project that comes back under this id must not be served this list.
    expect(
      (await t.call("GET", `/api/tasks?projectId=${project}`, { token: alice.token })).body.items,
    ).toEqual([]);
    await t.call("POST", `/api/projects/${project}/members`, {
      token: alice.token,
      body: { email: bob.email, role: "viewer" },
    });
    const task = await addTask(alice.token, project, { title: "Still here", assigneeId: bob.id });
    const snapshot = await exportOf(alice.token);
    const file = { ...snapshot, projects: snapshot.projects.filter((p) => p.id === project) };
    await t.call("DELETE", `/api/projects/${project}`, { token: alice.token });
    const restored = await importAs(alice.token, file, "?mode=restore");
    expect(restored.status).toBe(201);
    expect(restored.body.projects).toEqual([
      {
        id: project,
        name: "Deleted and back",
        action: "created",
        tasks: { created: 1, updated: 0, deleted: 0 },
        skippedMembers: 1,
        unassignedTasks: 1,
      },
    ]);
    expect((await t.call("GET", `/api/tasks/${task.id}`, { token: alice.token })).body).toMatchObject({
      projectId: project,
      title: "Still here",
      assigneeId: null,
    });
    const listed = await t.call("GET", `/api/tasks?projectId=${project}`, { token: alice.token });
    expect(listed.body.items.map((item: { id: string }) => item.id)).toEqual([task.id]);
    expect((await t.call("GET", `/api/projects/${project}`, { token: bob.token })).status).toBe(404);
  });

  test("only owners restore: editors and strangers are refused by name and nothing changes", async () => {
    const project = await t.createProject(alice, "Owned by Alice", [[bob, "editor"]]);
    await addTask(alice.token, project, { title: "Untouched" });
    const bobsFile = await exportOf(bob.token);
    const aliceExport = await exportOf(alice.token);
    const carol = await t.signUp("Carol");
    // A stranger's hand-made file naming Alice's project id.
    const forged = { ...versionOneFile(), version: 2 };
    const [forgedProject] = forged.projects;
    if (forgedProject) Object.assign(forgedProject, { id: project, name: "Hijacked", tasks: [] });
    for (const [token, file] of [
      [bob.token, bobsFile],
      [carol.token, forged],
    ] as const) {
      const res = await importAs(token, file, "?mode=restore");
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("not_owner");
      expect(res.body.error.message).toMatch(
        /cannot be restored: it exists and you are not one of its owners/,
      );
    }
    expect((await exportOf(alice.token)).projects).toEqual(aliceExport.projects);
  });

  test("a task id from another project is not taken over: the task is created anew", async () => {
    const bobs = await t.createProject(bob, "Bob's private");
    const secret = await addTask(bob.token, bobs, { title: "Bob's secret" });
    const file = { ...versionOneFile(), version: 2 };
    const projectId = crypto.randomUUID();
    const [project] = file.projects;
    if (project) Object.assign(project, { id: projectId });
    if (project?.tasks[0]) Object.assign(project.tasks[0], { id: secret.id, title: "Overwritten?" });
    const res = await importAs(alice.token, file, "?mode=restore");
    expect(res.status).toBe(201);
    expect(res.body.projects[0]).toMatchObject({ action: "created", tasks: { created: 1, updated: 0 } });
    const kept = await t.call("GET", `/api/tasks/${secret.id}`, { token: bob.token });
    expect(kept.body).toMatchObject({ title: "Bob's secret", projectId: bobs });
    const created = await t.call("GET", `/api/tasks?projectId=${projectId}`, { token: alice.token });
    expect(
      created.body.items.map((task: { id: string; title: string }) => [task.id === secret.id, task.title]),
    ).toEqual([[false, "Overwritten?"]]);
  });

  test("a file without ids cannot be restored, and says to import it as a copy", async () => {
    const file = versionOneFile();
    const res = await importAs(alice.token, file, "?mode=restore");
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("not_restorable");
    expect(res.body.error.message).toContain(`“${file.projects[0]?.name}” cannot be restored`);
    expect(res.body.error.message).toContain("Import it as a copy instead.");
    expect(await projectNames(alice.token)).not.toContain(file.projects[0]?.name);
  });
});

describe("no enumeration, no unconsented membership", () => {
  test("an import listing guessed e-mails adds nobody and answers the same for accounts and strangers", async () => {
    const victim = await t.signUp("Victim");
    const guesses = (known: boolean) => ({
      ...versionOneFile(),
      projects: [
        {
          ...versionOneFile().projects[0],
          name: "Probe",
          members: [
            ...Array.from({ length: 200 }, (_, i) => ({ email: `guess${i}@example.test`, role: "owner" })),
            { email: known ? victim.email : "nobody-here@example.test", role: "owner" },
          ],
        },
      ],
    });
    const withVictim = await importAs(bob.token, guesses(true));
    const withoutVictim = await importAs(bob.token, guesses(false));
    expect(withVictim.status).toBe(201);
    const shape = (body: { projects: { id: string }[] }) => ({
      ...body,
      projects: body.projects.map(({ id: _id, ...project }) => project),
    });
    expect(shape(withVictim.body)).toEqual(shape(withoutVictim.body));
    expect(withVictim.body.skippedMembers).toBe(201);
    expect(await projectNames(victim.token)).toEqual([]);
    const probe = await exportOf(bob.token);
    expect(JSON.stringify(probe)).not.toContain(victim.email);
  });
});

describe("wrong files are explained", () => {
  const post = (body: unknown) => importAs(alice.token, body);

  test("something that is not an export at all", async () => {
    for (const body of [{ format: "trello", projects: [] }, [], { projects: [] }, "text"]) {
      const res = await post(body);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe("not_an_export");
      expect(res.body.error.message).toMatch(/^This file is not a TaskPlatform export\./);
    }
  });

  test("an export from a newer version", async () => {
    const res = await post({ ...versionOneFile(), version: 5 });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toContain("made by a newer TaskPlatform (format version 5)");
  });

  test("preferences: a version 3 file leaves them alone; a partial set changes only what it names; bad ones are refused", async () => {
    const user = await t.signUp("Prefs");
    const put = await t.call("PUT", "/api/me/preferences", {
      token: user.token,
      body: { mailEnabled: false, mailDelivery: { commented: "off" } },
    });
    expect(put.status).toBe(200);
    const before = put.body as Preferences;
    const file = (extra: Record<string, unknown>) => ({ ...versionOneFile(), ...extra });
    const v3 = await importAs(user.token, file({ version: 3 }));
    expect(v3.status).toBe(201);
    expect(v3.body.preferences).toBe(false);
    expect((await exportOf(user.token)).preferences).toEqual(before);
    const partial = await importAs(
      user.token,
      file({ version: 4, preferences: { mailDelivery: { assigned: "digest" }, timeZone: "Europe/Paris" } }),
    );
    expect(partial.status).toBe(201);
    expect((await exportOf(user.token)).preferences).toEqual({
      ...before,
      mailDelivery: { ...before.mailDelivery, assigned: "digest" },
      timeZone: "Europe/Paris",
    });
    for (const preferences of [
      { mailDelivery: { assigned: "weekly" } },
      { mailDelivery: { nosuch: "off" } },
      { mailEnabled: "no" },
      { timeZone: "Mars/Olympus" },
      { token: "x" },
      "off",
    ]) {
      const res = await importAs(user.token, file({ version: 4, preferences }));
      expect(res.status).toBe(422);
      expect(res.body.error.details[0].path).toStartWith("preferences");
    }
    expect((await exportOf(user.token)).preferences?.mailDelivery.assigned).toBe("digest");
  });

  test("a field error names the project, the task and the field", async () => {
    const file = versionOneFile();
    const name = file.projects[0]?.name;
    const broken = structuredClone(file) as unknown as { projects: { tasks: Record<string, unknown>[] }[] };
    const task = broken.projects[0]?.tasks[0] as Record<string, unknown>;
    broken.projects[0]?.tasks.push({ ...task, title: "", status: "someday" });
    const res = await post(broken);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("invalid_export");
    expect(res.body.error.message).toBe(
      `This export cannot be imported: Project 1 (“${name}”), task 2: “title” is required (and 1 more problem, listed in details).`,
    );
    expect(res.body.error.details.map((d: { path: string }) => d.path).sort()).toEqual([
      "projects.0.tasks.1.status",
      "projects.0.tasks.1.title",
    ]);
    const twice = { ...file, version: 2, projects: [{ ...file.projects[0], id: crypto.randomUUID() }] };
    const [only] = twice.projects;
    if (only) twice.projects.push({ ...only, name: "Second" });
    const duplicate = await post(twice);
    expect(duplicate.body.error.message).toBe(
      "This export cannot be imported: Project 2 (“Second”): “id” appears twice in the file.",
    );
    expect((await t.call("POST", "/api/import", { body: await exportOf(alice.token) })).status).toBe(401);
    expect((await importAs(alice.token, file, "?mode=merge")).status).toBe(422);
  });

  test("a huge file of broken items is refused with a bounded list of problems", async () => {
    const file = versionOneFile();
    const project = { ...file.projects[0], tasks: Array.from({ length: 20_000 }, () => ({})) };
    const res = await post({ ...file, projects: [project, { ...project, name: "Second" }] });
    expect(res.status).toBe(422);
    expect(res.body.error.details).toHaveLength(MAX_REPORTED_ISSUES);
    expect(res.body.error.message).toContain("the first 50 are listed in details");
    expect(res.text.length).toBeLessThan(20_000);
  });

  test("hostile text in a file is stored as text", async () => {
    const file = versionOneFile();
    const [project] = file.projects;
    if (project?.tasks[0]) project.tasks[0].title = "'); DROP TABLE tasks; -- <script>";
    if (project) project.description = "x".repeat(2000);
    const res = await post(file);
    expect(res.status).toBe(201);
    const task = (await exportOf(alice.token)).projects
      .find((p) => p.id === res.body.projects[0].id)
      ?.tasks.find(() => true);
    expect(task?.title).toBe("'); DROP TABLE tasks; -- <script>");
    const tooLong = await post({ ...file, projects: [{ ...project, description: "x".repeat(2001) }] });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.message).toContain("Project 1");
    expect(tooLong.body.error.message).toContain("“description”");
  });
});

describe("round trips", () => {
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
    const nonBlank = (max: number) =>
      text(max)
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    const task = fc.record(
      {
        title: nonBlank(60),
        description: text(200),
        status: fc.constantFrom("todo", "in_progress", "done"),
        priority: fc.constantFrom("low", "medium", "high", "urgent"),
        dueAt: fc.option(iso, { nil: null }),
        labels: fc.uniqueArray(nonBlank(20), { maxLength: 4 }),
        assigneeEmail: fc.constant(null),
        position: fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => n / 8),
        createdAt: iso,
        updatedAt: iso,
        completedAt: fc.option(iso, { nil: null }),
        archivedAt: fc.option(iso, { nil: null }),
        // Absent when empty, as the export writes them.
        checklist: fc.array(fc.record({ text: nonBlank(40), done: fc.boolean() }), {
          minLength: 1,
          maxLength: 4,
        }),
        comments: fc
          .array(
            fc.record({
              // Nobody but the importer is imported: comments by others keep their text, without an author.
              authorEmail: fc.constant(null),
              body: nonBlank(120),
              createdAt: iso,
              updatedAt: iso,
            }),
            { minLength: 1, maxLength: 3 },
            // A file lists comments oldest first (ties keep their order).
          )
          .map((comments) => [...comments].sort((a, b) => a.createdAt.localeCompare(b.createdAt))),
        // Format 4; absent for a task that does not repeat. Rules in canonical form, as exports write them.
        recurrence: fc.record({
          rule: fc.constantFrom(
            "FREQ=DAILY",
            "FREQ=WEEKLY;BYDAY=MO,WE",
            "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3",
            "FREQ=WEEKLY;INTERVAL=2;UNTIL=20261231T000000Z",
            "FREQ=MONTHLY;BYDAY=-1FR",
          ),
          from: fc.constantFrom("due", "completion"),
          timeZone: fc.constantFrom("UTC", "Europe/Paris", "America/New_York"),
        }),
      },
      {
        requiredKeys: [
          "title",
          "description",
          "status",
          "priority",
          "dueAt",
          "labels",
          "assigneeEmail",
          "position",
          "createdAt",
          "updatedAt",
          "completedAt",
          "archivedAt",
        ],
      },
    );
    // Format 3: a board of 3–8 columns (every kind at least once, in any order, names, done flags and
    // WIP limits of any kind), each task in one of them (its status is the column's kind).
    const column = fc.record({
      name: nonBlank(40),
      kind: fc.constantFrom("todo", "in_progress", "done"),
      done: fc.boolean(),
      wipLimit: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: null }),
    });
    const board = fc
      .tuple(
        fc.array(column, { maxLength: 5 }),
        fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
        fc.array(fc.tuple(task, fc.nat()), { maxLength: 6 }),
      )
      .map(([extra, kindsOrder, tasks]) => {
        const kinds = ["todo", "in_progress", "done"] as const;
        const columns = [
          ...kindsOrder.map((k) => ({ name: `Kind ${k}`, kind: kinds[k], done: k === 2, wipLimit: null })),
          ...extra,
        ].map((c, i) => ({ id: crypto.randomUUID(), ...c, position: (i + 1) * 1024 }));
        return {
          columns,
          tasks: tasks.map(([item, pick]) => {
            const home = columns[pick % columns.length] as (typeof columns)[number];
            return { ...item, status: home.kind, columnId: home.id };
          }),
        };
      });
    const colour = fc.constantFrom(...LABEL_COLORS);
    const project = fc
      .record({
        name: fc
          .stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,30}$/)
          .map((s) => `${s.trim()} ${crypto.randomUUID().slice(0, 8)}`),
        description: text(100),
        createdAt: iso,
        updatedAt: iso,
        archivedAt: fc.option(iso, { nil: null }),
        members: fc.constant([]),
        board,
        // Colours for the tasks' labels, and labels no task carries (yet).
        colours: fc.array(colour, { minLength: 24, maxLength: 24 }),
        unused: fc.uniqueArray(fc.stringMatching(/^unused [a-z]{1,8}$/), { maxLength: 2 }),
      })
      .map(({ board: { columns, tasks }, colours, unused, ...rest }) => {
        const names = [...new Set([...tasks.flatMap((task) => task.labels), ...unused])];
        const labels = names.map((name, i) => ({ name, color: colours[i % colours.length] }));
        return { ...rest, labels, columns, tasks };
      });
    const preferences = fc.record({
      dueSoonReminders: fc.boolean(),
      overdueReminders: fc.boolean(),
      mailEnabled: fc.boolean(),
      mailDelivery: fc.record(
        Object.fromEntries(
          NOTIFICATION_KINDS.map((kind) => [kind, fc.constantFrom(...MAIL_DELIVERIES)]),
        ) as Record<NotificationKind, fc.Arbitrary<MailDelivery>>,
      ),
      timeZone: fc.constantFrom(
        "UTC",
        "Europe/Paris",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
      ),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(project, { minLength: 1, maxLength: 3 }),
        preferences,
        async (projects, prefs) => {
          const user = await t.signUp("Prop");
          const doc = {
            format: "taskplatform-export",
            version: 4,
            exportedAt: new Date().toISOString(),
            preferences: prefs,
            projects,
          };
          const res = await t.call("POST", "/api/import", { token: user.token, body: doc });
          expect(res.status).toBe(201);
          expect(res.body.preferences).toBe(true);
          const exported = await exportOf(user.token);
          expect(exported.preferences).toEqual(prefs);
          const byLabelName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
          const normalise = (p: ExportedProject) => ({
            ...p,
            labels: [...((p as { labels?: { name: string }[] }).labels ?? [])].sort(byLabelName),
            members: [],
            tasks: [...(p.tasks as unknown as { status: string; position: number; title: string }[])].sort(
              (a, b) =>
                a.status.localeCompare(b.status) || a.position - b.position || a.title.localeCompare(b.title),
            ),
          });
          const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
          expect(withoutIds(exported.projects).map(normalise).sort(byName)).toEqual(
            withoutIds(projects as unknown as ExportedProject[])
              .map(normalise)
              .sort(byName),
          );
          // Restoring the export changes nothing.
          expect((await importAs(user.token, exported, "?mode=restore")).status).toBe(201);
          expect((await exportOf(user.token)).projects).toEqual(exported.projects);
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe("checklists and comments", () => {
  test("export holds them (authors and mentions by email); restore puts them back; a copy drops mentions of people not imported", async () => {
    const alice = await t.signUp("Alice");
    const bob = await t.signUp("Bob");
    const projectId = await t.createProject(alice, "Talkative", [[bob, "editor"]]);
    const task = (await addTask(alice.token, projectId, { title: "Discussed" })).id as string;
    for (const text of ["first", "second"]) {
      await t.call("POST", `/api/tasks/${task}/checklist`, { token: alice.token, body: { text } });
    }
    const items = (await t.call("GET", `/api/tasks/${task}/checklist`, { token: alice.token })).body.items;
    await t.call("PATCH", `/api/tasks/${task}/checklist/${items[1].id}`, {
      token: alice.token,
      body: { done: true },
    });
    const mention = `@[Bob](user:${bob.id})`;
    await t.call("POST", `/api/tasks/${task}/comments`, {
      token: bob.token,
      body: { body: `Mine, ${mention}` },
    });

    const exported = await exportOf(alice.token);
    const project = exported.projects.find((p) => p.id === projectId) as ExportedProject;
    const exportedTask = project.tasks[0] as unknown as {
      checklist: unknown;
      comments: { authorEmail: string; body: string; mentions: unknown }[];
    };
    expect(exportedTask.checklist).toEqual([
      { text: "first", done: false },
      { text: "second", done: true },
    ]);
    expect(exportedTask.comments).toHaveLength(1);
    expect(exportedTask.comments[0]).toMatchObject({
      authorEmail: bob.email,
      body: `Mine, ${mention}`,
      mentions: [{ id: bob.id, email: bob.email }],
    });

    // Restore after changes: the file's checklist and comments come back, mentions and all.
    await t.call("DELETE", `/api/tasks/${task}/checklist/${items[0].id}`, { token: alice.token });
    await t.call("POST", `/api/tasks/${task}/comments`, { token: alice.token, body: { body: "later" } });
    expect((await importAs(alice.token, { ...exported, projects: [project] }, "?mode=restore")).status).toBe(
      201,
    );
    const again = (await exportOf(alice.token)).projects.find((p) => p.id === projectId);
    expect(again).toEqual(project);
    const [row] = await t.sql<{ count: number }[]>`
      SELECT count(*)::int AS count FROM comment_mentions m JOIN comments c ON c.id = m.comment_id
      WHERE c.task_id = ${task} AND m.user_id = ${bob.id}`;
    expect(row?.count).toBe(1);

    // A copy by someone else: Bob is not imported, so the mention is plain text and the comment has no author.
    const carol = await t.signUp("Carol");
    expect((await importAs(carol.token, { ...exported, projects: [project] })).status).toBe(201);
    const copied = (await exportOf(carol.token)).projects[0] as ExportedProject;
    const copiedTask = copied.tasks[0] as unknown as { checklist: unknown; comments: unknown[] };
    expect(copiedTask.checklist).toEqual(exportedTask.checklist);
    expect(copiedTask.comments).toEqual([
      {
        authorEmail: null,
        body: "Mine, @Bob",
        createdAt: exportedTask.comments[0]?.["createdAt" as never],
        updatedAt: exportedTask.comments[0]?.["updatedAt" as never],
      },
    ]);
  });

  test("files with too many checklist items or bad mentions are refused with 422, never 500", async () => {
    const user = await t.signUp("Bad");
    const base = {
      title: "x",
      description: "",
      status: "todo",
      priority: "low",
      dueAt: null,
      labels: [],
      assigneeEmail: null,
      position: 1,
      createdAt: "2030-01-01T00:00:00.000Z",
      updatedAt: "2030-01-01T00:00:00.000Z",
      completedAt: null,
    };
    const doc = (task: Record<string, unknown>) => ({
      format: "taskplatform-export",
      version: 2,
      exportedAt: "2030-01-01T00:00:00.000Z",
      projects: [
        {
          name: "Bad",
          description: "",
          createdAt: "2030-01-01T00:00:00.000Z",
          updatedAt: "2030-01-01T00:00:00.000Z",
          members: [],
          tasks: [{ ...base, ...task }],
        },
      ],
    });
    const items = Array.from({ length: 201 }, (_, i) => ({ text: `i${i}`, done: false }));
    expect((await importAs(user.token, doc({ checklist: items }))).status).toBe(422);
    const comment = { authorEmail: null, body: "x", createdAt: base.createdAt, updatedAt: base.createdAt };
    expect(
      (
        await importAs(
          user.token,
          doc({ comments: [{ ...comment, mentions: [{ id: "nope", email: "x" }] }] }),
        )
      ).status,
    ).toBe(422);
    expect(
      (await importAs(user.token, doc({ comments: [{ ...comment, body: "y".repeat(10_001) }] }))).status,
    ).toBe(422);
  });
});
