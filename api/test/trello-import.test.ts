// Import from Trello: the fixture (built to the shape of Trello's "Export as JSON") through the real
// API on real PostgreSQL and Redis, one test per mapping, then bad files.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { TRELLO_LIMITS } from "../src/trello/limits.ts";
import { openEvents, payload, sample, scrape } from "./support/client.ts";
import { createTestApp, type TestApp, type TestUser } from "./support/harness.ts";

setDefaultTimeout(60_000);

const FIXTURE = await Bun.file(new URL("./fixtures/trello-board.json", import.meta.url)).json();
// biome-ignore lint/suspicious/noExplicitAny: the fixture is edited field by field
const board = (): any => structuredClone(FIXTURE);

let t: TestApp;
let alice: TestUser;
let bob: TestUser;
// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected field by field
let imported: any;
let projectId: string;
type Task = {
  id: string;
  title: string;
  description: string;
  status: string;
  columnId: string;
  dueAt: string | null;
  labels: string[];
  position: number;
  createdAt: string;
  archivedAt: string | null;
};
let tasks: Task[];
const taskNamed = (title: string) => {
  const task = tasks.find((each) => each.title === title);
  if (!task) throw new Error(`no task “${title}” among ${tasks.map((each) => each.title).join(", ")}`);
  return task;
};

const upload = (token: string, body: unknown, query = "") =>
  t.call("POST", `/api/imports/trello${query}`, { token, body });

beforeAll(async () => {
  t = await createTestApp();
  [alice, bob] = await Promise.all([t.signUp("Alice"), t.signUp("Bob")]);
  const created = await upload(alice.token, FIXTURE);
  expect(created.status).toBe(201);
  imported = created.body;
  projectId = imported.project.id;
  const list = await t.call("GET", `/api/tasks?projectId=${projectId}&archived=include&limit=100`, {
    token: alice.token,
  });
  tasks = list.body.items;
}, 120_000);
afterAll(() => t.close());

describe("preview (dryRun=true)", () => {
  test("answers what would be created and writes nothing", async () => {
    const before = (await t.call("GET", "/api/projects", { token: bob.token })).body.items.length;
    const preview = await upload(bob.token, FIXTURE, "?dryRun=true");
    expect(preview.status).toBe(200);
    expect(preview.body.dryRun).toBe(true);
    expect(preview.body.project).toEqual({
      id: null,
      name: "Website relaunch",
      description: "Everything for the new company website, launching in April.",
    });
    expect(preview.body.counts).toEqual({
      tasks: 8,
      archivedTasks: 2,
      checklistItems: 6,
      comments: 3,
      labels: 7,
      columns: 4,
      archivedLists: 1,
    });
    expect(preview.body.warnings).toEqual([]);
    expect((await t.call("GET", "/api/projects", { token: bob.token })).body.items.length).toBe(before);
    // The preview is what the import then does.
    const { dryRun: _a, project: _b, ...previewed } = preview.body;
    const { dryRun: _c, project: _d, ...done } = imported;
    expect(done).toEqual(previewed);
  });
});

describe("mapping", () => {
  test("open lists become columns in board order, kinds from their names; an archived list gets none", async () => {
    const columns = (await t.call("GET", `/api/projects/${projectId}/columns`, { token: alice.token })).body
      .items;
    expect(
      columns.map((c: { name: string; kind: string; done: boolean }) => [c.name, c.kind, c.done]),
    ).toEqual([
      ["Backlog", "todo", false],
      ["To Do", "todo", false],
      ["Doing", "in_progress", false],
      ["Done", "done", true],
    ]);
    expect(imported.columns.map((c: { list: string; tasks: number }) => [c.list, c.tasks])).toEqual([
      ["Backlog", 3],
      ["To Do", 3],
      ["Doing", 1],
      ["Done", 1],
    ]);
  });

  test("a board without a kind of list gets an empty column of that kind", async () => {
    const file = board();
    file.lists = file.lists.filter((list: { name: string }) => list.name === "To Do" || list.name === "Done");
    file.cards = file.cards.filter((card: { idList: string }) =>
      file.lists.some((l: { id: string }) => l.id === card.idList),
    );
    const preview = await upload(bob.token, file, "?dryRun=true");
    expect(preview.body.columns).toEqual([
      { name: "To Do", kind: "todo", list: "To Do", tasks: 3 },
      { name: "In progress", kind: "in_progress", list: null, tasks: 0 },
      { name: "Done", kind: "done", list: "Done", tasks: 1 },
    ]);
  });

  test("cards become tasks with title, description, due date and creation time, in their list's order", () => {
    const login = taskNamed("Fix the login redirect loop");
    expect(login.description).toStartWith("After signing in, users on Safari land on **/signin** again.");
    expect(login.dueAt).toBe("2024-03-20T12:00:00.000Z");
    expect(login.status).toBe("in_progress");
    // Trello ids start with their creation time: the card was made 200 s after 2024-03-01T08:00Z.
    expect(login.createdAt).toBe("2024-03-01T08:03:20.000Z");
    const toDo = tasks
      .filter((task) => task.columnId === taskNamed("Collect FAQ questions").columnId)
      .sort((a, b) => a.position - b.position)
      .map((task) => task.title);
    expect(toDo).toEqual(["Design the hero section", "Write the onboarding guide", "Collect FAQ questions"]);
    expect(taskNamed("Set up continuous integration").status).toBe("done");
  });

  test("labels keep their names and get the palette colour nearest to Trello's", async () => {
    const labels = (await t.call("GET", `/api/projects/${projectId}/labels`, { token: alice.token })).body
      .items;
    const colours = Object.fromEntries(labels.map((l: { name: string; color: string }) => [l.name, l.color]));
    expect(colours).toEqual({
      Feature: "green",
      Bug: "red",
      "Bug (2)": "orange",
      Design: "teal",
      "yellow dark": "amber",
      Blocked: "slate",
      Someday: "slate",
    });
    expect(taskNamed("Fix the login redirect loop").labels).toEqual(["Bug", "Blocked"]);
    expect(taskNamed("Design the hero section").labels).toEqual(["Design", "Someday", "Bug (2)"]);
  });

  test("checklists: one is taken as it is; several become one, each item led by its checklist's name", async () => {
    const items = async (title: string) =>
      (
        await t.call("GET", `/api/tasks/${taskNamed(title).id}/checklist`, { token: alice.token })
      ).body.items.map((item: { text: string; done: boolean }) => [item.text, item.done]);
    expect(await items("Set up continuous integration")).toEqual([
      ["Pick a CI service", true],
      ["Cache dependencies", true],
    ]);
    expect(await items("Fix the login redirect loop")).toEqual([
      ["Backend: Set SameSite=None on the session cookie", true],
      ["Backend: Add a regression test", false],
      ["QA: Test on Firefox", true],
      ["QA: Test on Safari 17", false],
    ]);
  });

  test("comments are the importer's, name their Trello author and keep their dates, oldest first", async () => {
    const comments = (
      await t.call("GET", `/api/tasks/${taskNamed("Fix the login redirect loop").id}/comments`, {
        token: alice.token,
      })
    ).body.items;
    expect(comments.map((c: { authorId: string }) => c.authorId)).toEqual([alice.id, alice.id]);
    expect(comments.map((c: { body: string }) => c.body)).toEqual([
      "Ana Lima (@analima) on Trello:\n\nI can reproduce it on Safari 17.3 with the default settings.",
      "Chloé Martin (@chloemartin) on Trello:\n\nFixed on staging, can you check? @analima",
    ]);
    expect(comments[0].createdAt).toBe("2024-03-01T08:16:40.000Z");
    expect(comments.every((c: { mentions: string[] }) => c.mentions.length === 0)).toBe(true);
  });

  test("archived cards and the cards of an archived list become archived tasks", async () => {
    const archived = tasks
      .filter((task) => task.archivedAt)
      .map((task) => task.title)
      .sort();
    expect(archived).toEqual(["Add a dark mode", "Replace the carousel"]);
    const board = (await t.call("GET", `/api/projects/${projectId}/board`, { token: alice.token })).body;
    expect(board.tasks.map((task: { title: string }) => task.title)).not.toContain("Replace the carousel");
    expect(board.tasks).toHaveLength(6);
  });

  test("members are listed for the owner to invite, never added", async () => {
    const members = (await t.call("GET", `/api/projects/${projectId}/members`, { token: alice.token })).body
      .items;
    expect(members.map((m: { userId: string; role: string }) => [m.userId, m.role])).toEqual([
      [alice.id, "owner"],
    ]);
    expect(imported.members).toEqual([
      { fullName: "Ana Lima", username: "analima", cards: 1, comments: 1 },
      { fullName: "Ben Okafor", username: "benokafor", cards: 1, comments: 1 },
      { fullName: "Chloé Martin", username: "chloemartin", cards: 2, comments: 1 },
    ]);
    expect((await t.call("GET", `/api/projects/${projectId}`, { token: bob.token })).status).toBe(404);
  });

  test("the history says the project was imported and each task created (and archived)", async () => {
    const activity = (
      await t.call("GET", `/api/projects/${projectId}/activity?limit=100`, { token: alice.token })
    ).body.items;
    const kinds = activity.map((entry: { kind: string }) => entry.kind);
    expect(kinds.filter((kind: string) => kind === "task.created")).toHaveLength(8);
    expect(kinds.filter((kind: string) => kind === "task.archived")).toHaveLength(2);
    const project = activity.find((entry: { kind: string }) => entry.kind === "project.imported");
    expect(project).toMatchObject({
      taskId: null,
      actorId: alice.id,
      data: { source: "trello", board: "Website relaunch", tasks: 8 },
    });
    const login = taskNamed("Fix the login redirect loop");
    const own = (await t.call("GET", `/api/tasks/${login.id}/activity`, { token: alice.token })).body.items;
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({
      kind: "task.created",
      data: { title: login.title, column: { name: "Doing" }, source: "trello" },
    });
  });

  test("texts longer than TaskPlatform allows are shortened, and the preview says so", async () => {
    const file = board();
    file.cards[0].name = "x".repeat(300);
    file.cards[1].desc = "y".repeat(12_000);
    file.name = "z".repeat(150);
    const preview = await upload(bob.token, file, "?dryRun=true");
    expect(preview.status).toBe(200);
    expect(preview.body.project.name).toHaveLength(100);
    expect(preview.body.warnings).toEqual([
      "1 board name was longer than TaskPlatform allows and was shortened.",
      "1 card description was longer than TaskPlatform allows and was shortened.",
      "1 card title was longer than TaskPlatform allows and was shortened.",
    ]);
    const created = await upload(bob.token, file);
    expect(created.status).toBe(201);
  });

  test("hostile text is stored as text", async () => {
    const file = board();
    const evil =
      "'); DROP TABLE tasks; -- <script>alert(1)</script> @[Alice](user:00000000-0000-0000-0000-000000000000)";
    file.cards[0].name = evil.slice(0, 60);
    file.actions.find((a: { type: string }) => a.type === "commentCard").data.text = evil;
    const created = await upload(bob.token, file);
    expect(created.status).toBe(201);
    const list = await t.call(
      "GET",
      `/api/tasks?projectId=${created.body.project.id}&archived=include&limit=100`,
      { token: bob.token },
    );
    expect(list.body.items.map((task: { title: string }) => task.title)).toContain(evil.slice(0, 60));
  });
});

describe("limits of one card", () => {
  test("a card in a list the file does not have, over 20 labels and over 200 checklist items: kept in part, said in the preview", async () => {
    const file = board();
    file.cards[0].idList = "5f0000000000000000000000";
    file.labels = Array.from({ length: 25 }, (_, i) => ({ id: `label${i}`, name: `L${i}`, color: "blue" }));
    file.cards[1].idLabels = file.labels.map((label: { id: string }) => label.id);
    file.checklists.push({
      id: "big",
      idCard: file.cards[2].id,
      name: "Many",
      pos: 1,
      checkItems: Array.from({ length: 210 }, (_, i) => ({
        id: `i${i}`,
        name: `Item ${i}`,
        state: "incomplete",
        pos: i,
      })),
    });
    const reply = await upload(bob.token, file);
    expect(reply.status).toBe(201);
    expect(reply.body.warnings).toEqual([
      "1 card named a list the file does not have and is imported as archived.",
      "10 checklist items beyond 200 on one card were left out.",
      "5 labels beyond 20 on one card were left out.",
    ]);
    const list = await t.call(
      "GET",
      `/api/tasks?projectId=${reply.body.project.id}&archived=include&limit=100`,
      { token: bob.token },
    );
    const orphan = list.body.items.find(
      (task: { title: string }) => task.title === "Set up continuous integration",
    );
    expect(orphan.archivedAt).not.toBeNull();
    const guide = list.body.items.find(
      (task: { title: string }) => task.title === "Write the onboarding guide",
    );
    const items = (await t.call("GET", `/api/tasks/${guide.id}/checklist`, { token: bob.token })).body.items;
    expect(items).toHaveLength(200);
  });

  test("the largest board an import takes: 5,000 cards with checklists and comments, in one request", async () => {
    const file = board();
    const lists = file.lists.filter((list: { closed: boolean }) => !list.closed);
    const [template] = file.cards;
    const hex = (n: number) => `65e18c00${n.toString(16).padStart(16, "0")}`;
    file.cards = Array.from({ length: TRELLO_LIMITS.cards }, (_, i) => ({
      ...template,
      id: hex(i),
      name: `Card ${i}`,
      idList: lists[i % lists.length].id,
      pos: i,
      closed: i % 10 === 0,
      idLabels: file.labels.slice(0, 2).map((label: { id: string }) => label.id),
    }));
    file.checklists = file.cards.map((card: { id: string }, i: number) => ({
      id: `cl${i}`,
      idCard: card.id,
      name: "Steps",
      pos: 1,
      checkItems: [
        { id: `a${i}`, name: "First", state: "complete", pos: 1 },
        { id: `b${i}`, name: "Second", state: "incomplete", pos: 2 },
      ],
    }));
    const comment = file.actions.find((action: { type: string }) => action.type === "commentCard");
    file.actions = file.cards.map((card: { id: string }, i: number) => ({
      ...comment,
      id: `c${i}`,
      data: { ...comment.data, text: `Comment ${i}`, card: { id: card.id } },
    }));
    const started = performance.now();
    const reply = await upload(bob.token, file);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[trello] ${TRELLO_LIMITS.cards} cards, 10,000 checklist items, 5,000 comments imported in ${seconds.toFixed(2)} s`,
    );
    expect(reply.status).toBe(201);
    expect(reply.body.counts).toMatchObject({
      tasks: 5000,
      archivedTasks: 500,
      checklistItems: 10_000,
      comments: 5000,
    });
    const [row] = await t.sql<{ tasks: number; activity: number }[]>`
      SELECT (SELECT count(*)::int FROM tasks WHERE project_id = ${reply.body.project.id}) AS tasks,
             (SELECT count(*)::int FROM activity WHERE project_id = ${reply.body.project.id}) AS activity`;
    expect(row).toEqual({ tasks: 5000, activity: 1 + 5000 + 500 });
  });
});

test("the importer's open tabs hear of the new project (project.created) after the commit", async () => {
  const stream = await openEvents(t.listen(), { token: bob.token });
  try {
    await stream.waitFor((message) => message.event === "ready");
    const reply = await upload(bob.token, FIXTURE);
    expect(reply.status).toBe(201);
    const event = await stream.waitFor(
      (message) =>
        message.event === "project.created" && payload(message).projectId === reply.body.project.id,
    );
    expect(payload(event).project).toMatchObject({ id: reply.body.project.id, name: "Website relaunch" });
  } finally {
    stream.close();
  }
});

test("one transaction: a write that fails part-way leaves no project, task or history behind", async () => {
  // A trigger of this test's own database fails the comment insert, after the project, columns and tasks.
  await t.sql.unsafe(`
    CREATE FUNCTION fail_marked_comment() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.body LIKE '%FAIL-HERE%' THEN RAISE EXCEPTION 'refused by the test'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER fail_marked_comment BEFORE INSERT ON comments FOR EACH ROW EXECUTE FUNCTION fail_marked_comment();`);
  try {
    const file = board();
    file.name = `Doomed ${crypto.randomUUID()}`;
    file.actions.find((action: { type: string }) => action.type === "commentCard").data.text = "FAIL-HERE";
    const before = await scrape(t.listen());
    const reply = await upload(bob.token, file);
    expect(reply.status).toBe(500);
    const [row] = await t.sql<{ projects: number }[]>`
      SELECT count(*)::int AS projects FROM projects WHERE name = ${file.name}`;
    expect(row?.projects).toBe(0);
    const after = await scrape(t.listen());
    const failed = 'imports_total{source="trello",result="failed"}';
    expect(sample(after, failed) - sample(before, failed)).toBe(1);
  } finally {
    await t.sql.unsafe("DROP TRIGGER fail_marked_comment ON comments; DROP FUNCTION fail_marked_comment();");
  }
});

describe("bad files", () => {
  const raw = (
    body: string | Uint8Array,
    headers: Record<string, string> = { "content-type": "application/json" },
  ) => t.call("POST", "/api/imports/trello?dryRun=true", { token: alice.token, rawBody: body, headers });
  const refused = (
    reply: { status: number; body: { error: { code: string; message: string } } },
    status: number,
    code: string,
    words: RegExp,
  ) => {
    expect(reply.status).toBe(status);
    expect(reply.body.error.code).toBe(code);
    expect(reply.body.error.message).toMatch(words);
  };

  test("not JSON", async () => {
    refused(
      await raw("Name,List\nFix login,Doing\n", { "content-type": "text/csv" }),
      400,
      "not_json",
      /^This file is not JSON/,
    );
    refused(await raw(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), 400, "not_json", /not JSON/);
  });

  test("an empty file", async () => {
    refused(await raw(""), 400, "empty_file", /The file is empty\. In Trello, open the board's menu/);
  });

  test("JSON that is not a Trello export", async () => {
    refused(await raw("[1,2,3]"), 422, "not_a_trello_export", /not a Trello board export/);
    refused(await raw('{"name":"x"}'), 422, "not_a_trello_export", /it has no lists and cards/);
    refused(
      await raw('{"format":"taskplatform-export","version":3,"projects":[]}'),
      422,
      "taskplatform_export",
      /Account & data/,
    );
  });

  test("a field of the wrong shape is named with its card", async () => {
    const file = board();
    file.cards[1].due = "next Tuesday";
    const reply = await upload(alice.token, file, "?dryRun=true");
    refused(
      reply,
      422,
      "invalid_trello_export",
      /^This Trello export cannot be imported: Card 2 \(“Fix the login redirect loop”\): “due” is not a date\.$/,
    );
  });

  test("a huge text", async () => {
    const file = board();
    file.cards[2].desc = "a".repeat(TRELLO_LIMITS.text + 1);
    refused(
      await upload(alice.token, file, "?dryRun=true"),
      422,
      "invalid_trello_export",
      /Card 3 \(“Write the onboarding guide”\): “desc” is longer than Trello allows \(16,384 characters\)/,
    );
  });

  test("a NUL character or a lone surrogate", async () => {
    const file = board();
    file.cards[0].desc = "before\u0000after";
    refused(
      await upload(alice.token, file, "?dryRun=true"),
      422,
      "invalid_characters",
      /NUL character or broken Unicode.*\(Card 1 \(“Set up continuous integration”\), “desc”\)/,
    );
    refused(
      await raw('{"lists":[],"cards":[],"name":"\\ud800"}'),
      422,
      "invalid_characters",
      /broken Unicode/,
    );
  });

  test("too many cards", async () => {
    const file = board();
    const [card] = file.cards;
    file.cards = Array.from({ length: TRELLO_LIMITS.cards + 1 }, (_, i) => ({ ...card, id: `c${i}` }));
    refused(
      await upload(alice.token, file, "?dryRun=true"),
      422,
      "too_many_cards",
      /This board has 5,001 cards .*at most 5,000/,
    );
  });

  test("too many lists for a project's columns", async () => {
    const file = board();
    file.lists = Array.from({ length: 60 }, (_, i) => ({
      id: `l${i}`,
      name: `List ${i}`,
      closed: false,
      pos: i,
    }));
    file.cards = [];
    refused(
      await upload(alice.token, file, "?dryRun=true"),
      422,
      "too_many_lists",
      /60 open lists; a project has at most 50 columns/,
    );
  });

  test("nested deeper than any Trello export", async () => {
    const deep = `{"lists":[],"cards":[],"name":"x","prefs":${"[".repeat(40)}${"]".repeat(40)}}`;
    refused(await raw(deep), 422, "not_a_trello_export", /more than 32 levels deep/);
  });

  test("a file over 20 MB, with or without a declared length", async () => {
    const big = `{"lists":[],"cards":[],"name":"${"a".repeat(TRELLO_LIMITS.fileBytes)}"}`;
    refused(await raw(big), 413, "file_too_large", /larger than 20 MB/);
    const stream = new Blob([big]).stream();
    refused(await raw(stream as unknown as Uint8Array), 413, "file_too_large", /larger than 20 MB/);
  });

  test("a file of 2 MB (more than other requests may carry) is taken", async () => {
    const file = board();
    file.pluginData = [{ value: "p".repeat(2 * 1024 * 1024) }];
    expect((await upload(alice.token, file, "?dryRun=true")).status).toBe(200);
  });

  test("more imports at once than a replica runs: 429 with Retry-After, and the running ones finish", async () => {
    const text = new TextEncoder().encode(JSON.stringify(FIXTURE));
    const held = Array.from({ length: TRELLO_LIMITS.concurrent }, () => {
      let finish!: () => void;
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(text.slice(0, 10));
          await new Promise<void>((resolve) => {
            finish = resolve;
          });
          controller.enqueue(text.slice(10));
          controller.close();
        },
      });
      return { finish: () => finish(), reply: raw(body as unknown as Uint8Array) };
    });
    // The held requests are inside the route (reading their bodies) once the next one is turned away.
    let busy = await raw(JSON.stringify(FIXTURE));
    for (let i = 0; i < 50 && busy.status !== 429; i++) busy = await raw(JSON.stringify(FIXTURE));
    refused(busy, 429, "imports_busy", /Other imports are running right now/);
    expect(busy.headers.get("retry-after")).toBe("30");
    for (const request of held) request.finish();
    for (const request of held) expect((await request.reply).status).toBe(200);
    expect((await raw(JSON.stringify(FIXTURE))).status).toBe(200);
  });

  test("signed out: 401, and the file is not read", async () => {
    const reply = await t.call("POST", "/api/imports/trello", { body: FIXTURE });
    expect(reply.status).toBe(401);
  });
});

test("imports are counted by result", async () => {
  const before = await scrape(t.listen());
  await upload(alice.token, FIXTURE, "?dryRun=true");
  await upload(alice.token, { lists: 1 }, "?dryRun=true");
  const after = await scrape(t.listen());
  const delta = (result: string) =>
    sample(after, `imports_total{source="trello",result="${result}"}`) -
    sample(before, `imports_total{source="trello",result="${result}"}`);
  expect(delta("preview")).toBe(1);
  expect(delta("refused")).toBe(1);
  expect(delta("created")).toBe(0);
  expect(delta("failed")).toBe(0);
});
