// /api/tasks: list (filters, full-text search, cursor pages, cached), CRUD with optimistic
// concurrency (ETag = version, If-Match → 409 when stale), and board moves.

import type { Context } from "hono";
import { Hono } from "hono";
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { validate } from "../http/validate.ts";
import { assertRole, findMembership, requireRole } from "../projects/access.ts";
import { createListCache, listResponseInit } from "./cache.ts";
import * as tasks from "./repository.ts";
import { createTaskBody, listTasksQuery, moveTaskBody, taskIdParam, updateTaskBody } from "./schemas.ts";

const etag = (task: tasks.Task) => `"${task.version}"`;

/** If-Match: "<version>" (weak or strong); absent means "apply regardless". */
function expectedVersion(c: Context<AppEnv>): number | undefined {
  const header = c.req.header("if-match");
  if (header === undefined || header.trim() === "*") return undefined;
  const match = header.trim().match(/^(?:W\/)?"(\d{1,9})"$/);
  if (!match) throw new ApiError(400, "bad_if_match", 'If-Match must be a version ETag such as "3"');
  return Number(match[1]);
}

export function taskRoutes(deps: Deps, publish: Publish) {
  const { sql, store, metrics, config } = deps;
  const cache = createListCache(store, metrics, config.cacheTtlSeconds);

  /** Loads the task and checks the caller's role in its project; 404 for non-members. */
  const loadTask = async (id: string, userId: string, minimum: "viewer" | "editor") => {
    const found = await timed(metrics, "tasks.get", () => tasks.getTaskWithRole(sql, id, userId));
    if (!found?.role) throw notFound("task");
    assertRole(found.role, minimum);
    return found.task;
  };

  const assertAssignable = async (projectId: string, assigneeId: string | null | undefined) => {
    if (!assigneeId) return;
    if (!(await findMembership(sql, projectId, assigneeId))) {
      throw new ApiError(422, "validation_failed", "invalid body", [
        { path: "assigneeId", message: "is not a member of the project", code: "custom" },
      ]);
    }
  };

  const outcomeOf = (outcome: tasks.WriteOutcome): tasks.Task => {
    if (outcome.kind === "not_found") throw notFound("task");
    if (outcome.kind === "conflict") {
      throw new ApiError(
        409,
        "conflict",
        "the task changed since you loaded it",
        { current: outcome.current },
        { ETag: etag(outcome.current) },
      );
    }
    return outcome.task;
  };

  return new Hono<AppEnv>()
    .get("/", validate("query", listTasksQuery), async (c) => {
      const query = c.req.valid("query");
      const userId = c.get("user").id;
      const membership = await requireRole(sql, query.projectId, userId, "viewer");
      const cursor = query.cursor === undefined ? undefined : tasks.decodeCursor(query.cursor);
      if (query.cursor !== undefined && !cursor) {
        throw new ApiError(422, "validation_failed", "invalid query", [
          { path: "cursor", message: "is not a cursor from this API", code: "custom" },
        ]);
      }
      const body = await cache.read(userId, membership.tasksVersion, query, async () =>
        timed(metrics, "tasks.list", () => tasks.listTasksJson(sql, query, cursor)),
      );
      const { data, headers } = listResponseInit(body, c.req.header("accept-encoding"));
      return c.body(data, 200, headers);
    })
    .post("/", validate("json", createTaskBody), async (c) => {
      const input = c.req.valid("json");
      const userId = c.get("user").id;
      await requireRole(sql, input.projectId, userId, "editor");
      await assertAssignable(input.projectId, input.assigneeId);
      const task = await timed(metrics, "tasks.create", () => tasks.createTask(sql, input));
      await publish({ type: "task.created", projectId: task.projectId, actorId: userId, task });
      c.header("ETag", etag(task));
      c.header("Location", `/api/tasks/${task.id}`);
      return c.json(task, 201);
    })
    .get("/:id", validate("param", taskIdParam), async (c) => {
      const task = await loadTask(c.req.valid("param").id, c.get("user").id, "viewer");
      c.header("ETag", etag(task));
      return c.json(task);
    })
    .patch("/:id", validate("param", taskIdParam), validate("json", updateTaskBody), async (c) => {
      const { id } = c.req.valid("param");
      const userId = c.get("user").id;
      const changes = c.req.valid("json");
      const existing = await loadTask(id, userId, "editor");
      await assertAssignable(existing.projectId, changes.assigneeId);
      const version = expectedVersion(c);
      const task = outcomeOf(
        await timed(metrics, "tasks.update", () => tasks.updateTask(sql, id, changes, version)),
      );
      await publish({ type: "task.updated", projectId: task.projectId, actorId: userId, task });
      c.header("ETag", etag(task));
      return c.json(task);
    })
    .post("/:id/move", validate("param", taskIdParam), validate("json", moveTaskBody), async (c) => {
      const { id } = c.req.valid("param");
      const userId = c.get("user").id;
      const { status, position } = c.req.valid("json");
      await loadTask(id, userId, "editor");
      const version = expectedVersion(c);
      const outcome = await timed(metrics, "tasks.move", () =>
        tasks.moveTask(sql, id, status, position, version),
      );
      const task = outcomeOf(outcome);
      await publish({ type: "task.moved", projectId: task.projectId, actorId: userId, task });
      // Renumbering gave every card of the column a new position: clients refetch the board.
      if (outcome.kind === "ok" && outcome.renumbered) {
        await publish({ type: "resync", projectId: task.projectId, actorId: userId });
      }
      c.header("ETag", etag(task));
      return c.json(task);
    })
    .delete("/:id", validate("param", taskIdParam), async (c) => {
      const { id } = c.req.valid("param");
      const userId = c.get("user").id;
      await loadTask(id, userId, "editor");
      const task = outcomeOf(
        await timed(metrics, "tasks.delete", () => tasks.deleteTask(sql, id, expectedVersion(c))),
      );
      await publish({
        type: "task.deleted",
        projectId: task.projectId,
        actorId: userId,
        task: { id: task.id, projectId: task.projectId },
      });
      return c.body(null, 204);
    });
}
