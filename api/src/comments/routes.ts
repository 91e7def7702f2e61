// /api/tasks/:id/comments: list (oldest first), add (any member), edit (author), delete (author or
// owner). Use cases: service.ts.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { taskIdParam } from "../tasks/schemas.ts";
import { commentParam, createCommentBody, updateCommentBody } from "./schemas.ts";
import { createCommentService } from "./service.ts";

export function commentRoutes(deps: Deps, publish: Publish) {
  const comments = createCommentService(deps, publish);

  return new Hono<AppEnv>()
    .get("/:id/comments", validate("param", taskIdParam), async (c) => {
      return c.json({ items: await comments.list(c.get("user").id, c.req.valid("param").id) });
    })
    .post("/:id/comments", validate("param", taskIdParam), validate("json", createCommentBody), async (c) => {
      return c.json(
        await comments.add(c.get("user").id, c.req.valid("param").id, c.req.valid("json").body),
        201,
      );
    })
    .patch(
      "/:id/comments/:commentId",
      validate("param", commentParam),
      validate("json", updateCommentBody),
      async (c) => {
        const { id, commentId } = c.req.valid("param");
        return c.json(await comments.update(c.get("user").id, id, commentId, c.req.valid("json").body));
      },
    )
    .delete("/:id/comments/:commentId", validate("param", commentParam), async (c) => {
      const { id, commentId } = c.req.valid("param");
      await comments.remove(c.get("user").id, id, commentId);
      return c.body(null, 204);
    });
}
