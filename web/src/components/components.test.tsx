import { describe, expect, mock, test } from "bun:test";
import { createMemoryHistory, MemoryRouter, Route } from "@solidjs/router";
import { fireEvent, render, waitFor } from "@solidjs/testing-library";
import type { JSX } from "solid-js";
import { baseTask } from "../../test/fixtures";
import type { api } from "../api/client";
import type { Project, Task } from "../api/types";
import Board, { dropIndex, notAShortcut } from "../pages/Board";
import SignUp from "../pages/SignUp";
import type { LabelsStore } from "../stores/labels";
import type { MembersStore } from "../stores/members";
import { ProjectContext, type ProjectContextValue } from "../stores/project";
import { type SessionApi, SessionProvider } from "../stores/session";
import { createTasksStore } from "../stores/tasks";
import { dismissToast, showToast, toasts } from "../stores/toast";
import { Field } from "./Field";
import { TaskCard } from "./TaskCard";
import { Toasts } from "./Toasts";

describe("Field", () => {
  test("labels the input and wires the error for screen readers", () => {
    const r = render(() => <Field label="Email" name="email" error="Enter a valid email address." />);
    const input = r.getByLabelText("Email") as HTMLInputElement;
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")).toBe("field-email-error");
    expect(r.container.querySelector("#field-email-error")?.textContent).toBe("Enter a valid email address.");
  });
});

describe("TaskCard", () => {
  test("shows title, priority, due date, labels, assignee; Enter opens; Shift+arrows move", () => {
    const onOpen = mock(() => {});
    const onKeyMove = mock((_key: string) => {});
    const r = render(() => (
      <ul>
        <TaskCard
          task={baseTask}
          draggable
          assignee="Bob"
          onOpen={onOpen}
          onKeyMove={onKeyMove}
          onDragStart={() => {}}
          onDragEnd={() => {}}
        />
      </ul>
    ));
    const button = r.getByRole("button");
    expect(button.textContent).toContain("Ship it");
    expect(button.textContent).toContain("High");
    expect(button.textContent).toContain("May 17");
    expect(button.textContent).toContain("release");
    expect(button.textContent).toContain("Assigned to Bob");
    fireEvent.click(button);
    expect(onOpen).toHaveBeenCalledTimes(1);
    fireEvent.keyDown(button, { key: "ArrowRight" });
    expect(onKeyMove).not.toHaveBeenCalled();
    fireEvent.keyDown(button, { key: "ArrowRight", shiftKey: true });
    fireEvent.keyDown(button, { key: "ArrowUp", shiftKey: true });
    expect(onKeyMove.mock.calls.map((c) => c[0])).toEqual(["right", "up"]);
  });

  test("a read-only card is not draggable and ignores move keys", () => {
    const onKeyMove = mock(() => {});
    const r = render(() => (
      <ul>
        <TaskCard
          task={baseTask}
          draggable={false}
          onOpen={() => {}}
          onKeyMove={onKeyMove}
          onDragStart={() => {}}
          onDragEnd={() => {}}
        />
      </ul>
    ));
    expect(r.container.querySelector("li")?.getAttribute("draggable")).toBe("false");
    fireEvent.keyDown(r.getByRole("button"), { key: "ArrowRight", shiftKey: true });
    expect(onKeyMove).not.toHaveBeenCalled();
  });
});

test("dropIndex picks the slot under the pointer", () => {
  const cards = [
    { top: 0, height: 40 },
    { top: 50, height: 40 },
  ];
  expect(dropIndex(cards, 10)).toBe(0);
  expect(dropIndex(cards, 30)).toBe(1);
  expect(dropIndex(cards, 200)).toBe(2);
  expect(dropIndex([], 5)).toBe(0);
});

test("board shortcuts: not in fields or open dialogs, nor with modifiers; a just-closed dialog's button does not block them", () => {
  document.body.innerHTML = `<input id="field"><dialog id="help"><button id="close">Close</button></dialog><button id="card">Card</button>`;
  const press = (id: string, init: KeyboardEventInit = {}) => {
    const event = new KeyboardEvent("keydown", { key: "n", bubbles: true, ...init });
    Object.defineProperty(event, "target", { value: document.getElementById(id) });
    return notAShortcut(event);
  };
  expect(press("card")).toBe(false);
  expect(press("field")).toBe(true);
  expect(press("card", { ctrlKey: true })).toBe(true);
  // Focus still on the closed dialog's button (the browser has not moved it yet): the board's key.
  expect(press("close")).toBe(false);
  (document.getElementById("help") as HTMLDialogElement).setAttribute("open", "");
  expect(press("close")).toBe(true);
  expect(press("card")).toBe(true);
  document.body.innerHTML = "";
});

test("Toasts show the message and run the action", async () => {
  // The toast list is app-wide: store tests in other files leave theirs behind.
  for (const toast of toasts()) dismissToast(toast.id);
  const undo = mock(() => {});
  const r = render(() => <Toasts />);
  showToast("Deleted “Ship it”", { action: { label: "Undo", run: undo } });
  await waitFor(() => expect(r.getByText("Deleted “Ship it”")).toBeTruthy());
  fireEvent.click(r.getByRole("button", { name: "Undo" }));
  expect(undo).toHaveBeenCalledTimes(1);
  await waitFor(() => expect(r.queryByText("Deleted “Ship it”")).toBeNull());
});

function fakeSession(overrides: Partial<SessionApi> = {}): SessionApi {
  return {
    status: () => "anonymous",
    user: () => null,
    signIn: async () => {},
    signUp: async () => undefined,
    resetPassword: async () => {},
    signOut: async () => {},
    restore: async () => {},
    expire: () => {},
    ...overrides,
  };
}

function inRouter(path: string, page: () => JSX.Element, session = fakeSession()) {
  const history = createMemoryHistory();
  history.set({ value: path });
  return render(() => (
    <SessionProvider value={session}>
      <MemoryRouter history={history}>
        <Route path={path.split("?")[0]} component={page} />
      </MemoryRouter>
    </SessionProvider>
  ));
}

describe("SignUp", () => {
  test("checks the form before sending it", async () => {
    const signUp = mock(async () => undefined);
    const r = inRouter("/signup", SignUp, fakeSession({ signUp }));
    fireEvent.click(await r.findByRole("button", { name: "Create account" }));
    await r.findByText("Enter your name.");
    expect(r.getByText("Enter a valid email address.")).toBeTruthy();
    expect(r.getByText("Use at least 8 characters.")).toBeTruthy();
    expect(signUp).not.toHaveBeenCalled();
  });

  test("shows the server's field errors", async () => {
    const { ApiError } = await import("../api/client");
    const signUp = mock(async () => {
      throw new ApiError(422, "validation_failed", "invalid body", [
        { path: "password", message: "is too common", code: "custom" },
      ]);
    });
    const r = inRouter("/signup", SignUp, fakeSession({ signUp }));
    fireEvent.input(await r.findByLabelText("Name"), { target: { value: "Ada" } });
    fireEvent.input(r.getByLabelText("Email"), { target: { value: "ada@example.test" } });
    fireEvent.input(r.getByLabelText("Password"), { target: { value: "password123" } });
    fireEvent.click(r.getByRole("button", { name: "Create account" }));
    await r.findByText("This is too common.");
    expect(signUp).toHaveBeenCalledWith("Ada", "ada@example.test", "password123");
  });
});

describe("Board", () => {
  const project = (role: Project["role"]): Project => ({
    id: "p1",
    name: "Launch",
    description: "",
    role,
    createdAt: baseTask.createdAt,
    updatedAt: baseTask.updatedAt,
    archivedAt: null,
  });

  async function renderBoard(role: Project["role"]) {
    const moves: unknown[] = [];
    // Copies: the board's store writes moves into the objects it is given, and the fixture is shared.
    const items = [
      { ...baseTask, labels: [...baseTask.labels] },
      { ...baseTask, id: "t2", title: "Write docs", position: 2048, assigneeId: null },
      { ...baseTask, id: "t3", title: "Celebrate", status: "done" as const, columnId: "c3", position: 1024 },
    ];
    const column = (id: string, name: string, kind: Task["status"], position: number) => ({
      id,
      projectId: "p1",
      name,
      kind,
      done: kind === "done",
      wipLimit: id === "c1" ? 1 : null,
      position,
    });
    const columns = [
      column("c1", "To do", "todo", 1024),
      column("c2", "In progress", "in_progress", 2048),
      column("c3", "Done", "done", 3072),
    ];
    const columnMoves: unknown[] = [];
    const client = {
      board: async () => ({ columns, tasks: items }),
      moveTask: async (id: string, status: string, position: number, columnId?: string) => {
        moves.push([id, status, position, columnId]);
        return { ...items.find((t) => t.id === id), status, columnId, position: 5000, version: 2 };
      },
      moveColumn: async (_projectId: string, id: string, position: number) => {
        columnMoves.push([id, position]);
        const order = columns.filter((c) => c.id !== id);
        order.splice(position, 0, columns.find((c) => c.id === id) as (typeof columns)[number]);
        return { items: order.map((c, i) => ({ ...c, position: (i + 1) * 1024 })) };
      },
    } as unknown as typeof api;
    const tasks = createTasksStore("p1", client);
    await tasks.load();
    const opened: unknown[] = [];
    const value: ProjectContextValue = {
      project: () => project(role),
      canEdit: () => role !== "viewer",
      isOwner: () => role === "owner",
      tasks,
      members: { nameOf: (userId) => (userId === "u2" ? "Bob" : undefined) } as MembersStore,
      labels: {
        items: () => [],
        colorOf: (name: string) => (name === "release" ? "teal" : "slate"),
      } as unknown as LabelsStore,
      openTask: (target) => opened.push(target),
    };
    const r = render(() => (
      <MemoryRouter>
        <Route
          path="/"
          component={() => (
            <ProjectContext.Provider value={value}>
              <Board />
            </ProjectContext.Provider>
          )}
        />
      </MemoryRouter>
    ));
    await r.findByText("Write docs");
    return { r, moves, opened, tasks, columnMoves };
  }

  test("renders three columns with counts, cards in order, and the assignee's name", async () => {
    const { r } = await renderBoard("editor");
    const columns = [...r.container.querySelectorAll("section[data-status]")];
    expect(columns.map((c) => c.querySelector("h2")?.textContent)).toEqual([
      "To do 2/1 tasks, over the limit",
      "In progress 0",
      "Done 1",
    ]);
    expect(r.getByText("Over the limit of 1")).toBeTruthy();
    expect([...(columns[0]?.querySelectorAll(".card-title") ?? [])].map((e) => e.textContent)).toEqual([
      "Ship it",
      "Write docs",
    ]);
    expect(columns[0]?.textContent).toContain("Bob");
    expect(r.getByLabelText("New task title")).toBeTruthy();
    // Label chips in the label's palette colour.
    expect([...r.container.querySelectorAll(".label.chip-teal")].map((e) => e.textContent)).toEqual([
      "release",
      "release",
      "release",
    ]);
  });

  test("Shift+→ moves a card to the next column and announces it", async () => {
    const { r, moves, tasks } = await renderBoard("editor");
    const card = r.getByText("Write docs").closest("button") as HTMLElement;
    fireEvent.keyDown(card, { key: "ArrowRight", shiftKey: true });
    await waitFor(() => expect(moves).toEqual([["t2", "in_progress", 0, "c2"]]));
    expect(tasks.column("in_progress").map((t) => t.title)).toEqual(["Write docs"]);
    await r.findByText("Write docs moved to In progress, position 1 of 1.");
  });

  test("Shift+↓ reorders within the column", async () => {
    const { moves } = await renderBoard("editor").then(async (b) => {
      fireEvent.keyDown(b.r.getByText("Ship it").closest("button") as HTMLElement, {
        key: "ArrowDown",
        shiftKey: true,
      });
      return b;
    });
    await waitFor(() => expect(moves).toEqual([["t1", "todo", 1, "c1"]]));
  });

  test("viewers get no add controls and cannot move cards", async () => {
    const { r, moves } = await renderBoard("viewer");
    expect(r.queryByLabelText("New task title")).toBeNull();
    expect(r.queryByRole("button", { name: "Add task to To do" })).toBeNull();
    fireEvent.keyDown(r.getByText("Ship it").closest("button") as HTMLElement, {
      key: "ArrowRight",
      shiftKey: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(moves).toEqual([]);
  });

  test("owners reorder columns with Move left/right; editors get no column controls", async () => {
    const { r, columnMoves, tasks } = await renderBoard("owner");
    fireEvent.click(r.getByRole("button", { name: "Move To do right" }));
    await waitFor(() => expect(columnMoves).toEqual([["c1", 1]]));
    await waitFor(() => expect(tasks.columns.map((c) => c.name)).toEqual(["In progress", "To do", "Done"]));
    expect(r.getByLabelText("New column")).toBeTruthy();
    const editor = await renderBoard("editor");
    expect(editor.r.queryByRole("button", { name: "Move To do right" })).toBeNull();
    expect(editor.r.queryByLabelText("New column")).toBeNull();
  });

  test("shortcuts: e edits the focused card, n opens a new task in the first column", async () => {
    const { r, opened } = await renderBoard("editor");
    const card = r.getByText("Write docs").closest("button") as HTMLElement;
    card.focus();
    fireEvent.keyDown(card, { key: "e" });
    fireEvent.keyDown(document.body, { key: "n" });
    expect(opened).toEqual([{ taskId: "t2" }, { status: "todo", columnId: "c1" }]);
  });

  test("clicking a card opens it", async () => {
    const { r, opened } = await renderBoard("editor");
    fireEvent.click(r.getByText("Ship it").closest("button") as HTMLElement);
    expect(opened).toEqual([{ taskId: "t1" }]);
  });
});
