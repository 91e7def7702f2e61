// Activity history, newest first and paged: /api/tasks/:id/activity and /api/projects/:id/activity
// (members only). Use cases: service.ts.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { projectIdParam } from "../projects/schemas.ts";
import { taskIdParam } from "../tasks/schemas.ts";
import { activityQuery } from "./schemas.ts";
import { createActivityService } from "./service.ts";

export function activityRoutes(deps: Deps) {
  const activity = createActivityService(deps);

  return new Hono<AppEnv>()
    .get(
      "/tasks/:id/activity",
      validate("param", taskIdParam),
      validate("query", activityQuery),
      async (c) => {
        return c.json(
          await activity.forTask(c.get("user").id, c.req.valid("param").id, c.req.valid("query")),
        );
      },
    )
    .get(
      "/projects/:id/activity",
      validate("param", projectIdParam),
      validate("query", activityQuery),
      async (c) => {
        return c.json(
          await activity.forProject(c.get("user").id, c.req.valid("param").id, c.req.valid("query")),
        );
      },
    );
}
