// /api/projects and their members. Viewers read, owners manage; the last owner cannot leave.
// Use cases: service.ts.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import {
  createProjectBody,
  memberParam,
  projectIdParam,
  updateMemberBody,
  updateProjectBody,
} from "./schemas.ts";
import { createProjectService } from "./service.ts";

export function projectRoutes(deps: Deps, publish: Publish) {
  const projects = createProjectService(deps, publish);

  return new Hono<AppEnv>()
    .get("/", async (c) => {
      return c.json({ items: await projects.list(c.get("user").id) });
    })
    .post("/", validate("json", createProjectBody), async (c) => {
      return c.json(await projects.create(c.get("user").id, c.req.valid("json")), 201);
    })
    .get("/:id", validate("param", projectIdParam), async (c) => {
      return c.json(await projects.get(c.get("user").id, c.req.valid("param").id));
    })
    .patch("/:id", validate("param", projectIdParam), validate("json", updateProjectBody), async (c) => {
      return c.json(await projects.update(c.get("user").id, c.req.valid("param").id, c.req.valid("json")));
    })
    .post("/:id/archive", validate("param", projectIdParam), async (c) => {
      return c.json(await projects.setArchived(c.get("user").id, c.req.valid("param").id, true));
    })
    .post("/:id/restore", validate("param", projectIdParam), async (c) => {
      return c.json(await projects.setArchived(c.get("user").id, c.req.valid("param").id, false));
    })
    .delete("/:id", validate("param", projectIdParam), async (c) => {
      await projects.remove(c.get("user").id, c.req.valid("param").id);
      return c.body(null, 204);
    })
    .get("/:id/members", validate("param", projectIdParam), async (c) => {
      return c.json({ items: await projects.members(c.get("user").id, c.req.valid("param").id) });
    })
    .patch(
      "/:id/members/:userId",
      validate("param", memberParam),
      validate("json", updateMemberBody),
      async (c) => {
        const { id, userId } = c.req.valid("param");
        return c.json(await projects.updateMember(c.get("user").id, id, userId, c.req.valid("json").role));
      },
    )
    .delete("/:id/members/:userId", validate("param", memberParam), async (c) => {
      const { id, userId } = c.req.valid("param");
      await projects.removeMember(c.get("user").id, id, userId);
      return c.body(null, 204);
    });
}
