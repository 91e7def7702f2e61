// /api/tasks/:id/checklist (items: list, add, edit or tick, reorder, delete) and
// /api/projects/:id/task-counts (checklist progress and comment counts of a project's tasks, for the
// board and the list in one query). Use cases: service.ts.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { projectIdParam } from "../projects/schemas.ts";
import { taskIdParam } from "../tasks/schemas.ts";
import { countsOfProject } from "./counts.ts";
import {
  checklistItemParam,
  createChecklistItemBody,
  moveChecklistItemBody,
  updateChecklistItemBody,
} from "./schemas.ts";
import { createChecklistService } from "./service.ts";

export function checklistRoutes(deps: Deps, publish: Publish) {
  const checklist = createChecklistService(deps, publish);
  const counts = countsOfProject(deps);

  return new Hono<AppEnv>()
    .get("/tasks/:id/checklist", validate("param", taskIdParam), async (c) => {
      return c.json({ items: await checklist.list(c.get("user").id, c.req.valid("param").id) });
    })
    .post(
      "/tasks/:id/checklist",
      validate("param", taskIdParam),
      validate("json", createChecklistItemBody),
      async (c) => {
        return c.json(
          await checklist.add(c.get("user").id, c.req.valid("param").id, c.req.valid("json")),
          201,
        );
      },
    )
    .patch(
      "/tasks/:id/checklist/:itemId",
      validate("param", checklistItemParam),
      validate("json", updateChecklistItemBody),
      async (c) => {
        const { id, itemId } = c.req.valid("param");
        return c.json(await checklist.update(c.get("user").id, id, itemId, c.req.valid("json")));
      },
    )
    .post(
      "/tasks/:id/checklist/:itemId/move",
      validate("param", checklistItemParam),
      validate("json", moveChecklistItemBody),
      async (c) => {
        const { id, itemId } = c.req.valid("param");
        return c.json({
          items: await checklist.move(c.get("user").id, id, itemId, c.req.valid("json").index),
        });
      },
    )
    .delete("/tasks/:id/checklist/:itemId", validate("param", checklistItemParam), async (c) => {
      const { id, itemId } = c.req.valid("param");
      await checklist.remove(c.get("user").id, id, itemId);
      return c.body(null, 204);
    })
    .get("/projects/:id/task-counts", validate("param", projectIdParam), async (c) => {
      return c.json({ items: await counts(c.get("user").id, c.req.valid("param").id) });
    });
}
