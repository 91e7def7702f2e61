// /api/tasks: list (filters, full-text search, cursor pages, cached), CRUD with optimistic
// concurrency (ETag = version, If-Match → 409 when stale), and board moves. Use cases: service.ts.

import type { Context } from "hono";
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { validate } from "../http/validate.ts";
import { listResponseInit } from "./cache.ts";
import type { Task } from "./repository.ts";
import { createTaskBody, listTasksQuery, moveTaskBody, taskIdParam, updateTaskBody } from "./schemas.ts";
import { createTaskService, type ExpectedVersion, type WriteOutcome } from "./service.ts";

const etag = (task: Task) => `"${task.version}"`;

/** If-Match: "<version>" (weak or strong); absent means "apply regardless". */
const expectedVersion =
  (c: Context<AppEnv>): ExpectedVersion =>
  () => {
    const header = c.req.header("if-match");
    if (header === undefined || header.trim() === "*") return undefined;
    const match = header.trim().match(/^(?:W\/)?"(\d{1,9})"$/);
    if (!match) throw new ApiError(400, "bad_if_match", 'If-Match must be a version ETag such as "3"');
    return Number(match[1]);
  };

/** The written task, or the 404 or 409 (with the current task) the outcome calls for. */
const writtenTask = (outcome: WriteOutcome): Task => {
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

export function taskRoutes(deps: Deps, publish: Publish) {
  const tasks = createTaskService(deps, publish);

  return new Hono<AppEnv>()
    .get("/", validate("query", listTasksQuery), async (c) => {
      const body = await tasks.list(c.get("user").id, c.req.valid("query"));
      const { data, headers } = listResponseInit(body, c.req.header("accept-encoding"));
      return c.body(data, 200, headers);
    })
    .post("/", validate("json", createTaskBody), async (c) => {
      const task = await tasks.create(c.get("user").id, c.req.valid("json"));
      c.header("ETag", etag(task));
      c.header("Location", `/api/tasks/${task.id}`);
      return c.json(task, 201);
    })
    .get("/:id", validate("param", taskIdParam), async (c) => {
      const task = await tasks.get(c.get("user").id, c.req.valid("param").id);
      c.header("ETag", etag(task));
      return c.json(task);
    })
    .patch("/:id", validate("param", taskIdParam), validate("json", updateTaskBody), async (c) => {
      const { id } = c.req.valid("param");
      const task = writtenTask(
        await tasks.update(c.get("user").id, id, c.req.valid("json"), expectedVersion(c)),
      );
      c.header("ETag", etag(task));
      return c.json(task);
    })
    .post("/:id/move", validate("param", taskIdParam), validate("json", moveTaskBody), async (c) => {
      const { id } = c.req.valid("param");
      const { columnId, status, position } = c.req.valid("json");
      const task = writtenTask(
        await tasks.move(c.get("user").id, id, { columnId, status, index: position }, expectedVersion(c)),
      );
      c.header("ETag", etag(task));
      return c.json(task);
    })
    .post("/:id/archive", validate("param", taskIdParam), async (c) => {
      const { id } = c.req.valid("param");
      const task = writtenTask(await tasks.setArchived(c.get("user").id, id, true, expectedVersion(c)));
      c.header("ETag", etag(task));
      return c.json(task);
    })
    .post("/:id/restore", validate("param", taskIdParam), async (c) => {
      const { id } = c.req.valid("param");
      const task = writtenTask(await tasks.setArchived(c.get("user").id, id, false, expectedVersion(c)));
      c.header("ETag", etag(task));
      return c.json(task);
    })
    .delete("/:id", validate("param", taskIdParam), async (c) => {
      const { id } = c.req.valid("param");
      writtenTask(await tasks.remove(c.get("user").id, id, expectedVersion(c)));
      return c.body(null, 204);
    });
}
