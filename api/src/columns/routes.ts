// /api/projects/:id/columns (owners manage, members read) and /api/projects/:id/board (the columns
// and all tasks in one answer). Use cases: service.ts.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { projectIdParam } from "../projects/schemas.ts";
import {
  columnParam,
  createColumnBody,
  deleteColumnQuery,
  moveColumnBody,
  updateColumnBody,
} from "./schemas.ts";
import { createColumnService } from "./service.ts";

export function columnRoutes(deps: Deps, publish: Publish) {
  const columns = createColumnService(deps, publish);

  return new Hono<AppEnv>()
    .get("/:id/board", validate("param", projectIdParam), async (c) => {
      const body = await columns.board(c.get("user").id, c.req.valid("param").id);
      return c.body(body, 200, { "Content-Type": "application/json" });
    })
    .get("/:id/columns", validate("param", projectIdParam), async (c) => {
      return c.json({ items: await columns.list(c.get("user").id, c.req.valid("param").id) });
    })
    .post(
      "/:id/columns",
      validate("param", projectIdParam),
      validate("json", createColumnBody),
      async (c) => {
        const column = await columns.create(c.get("user").id, c.req.valid("param").id, c.req.valid("json"));
        return c.json(column, 201);
      },
    )
    .patch(
      "/:id/columns/:columnId",
      validate("param", columnParam),
      validate("json", updateColumnBody),
      async (c) => {
        const { id, columnId } = c.req.valid("param");
        return c.json(await columns.update(c.get("user").id, id, columnId, c.req.valid("json")));
      },
    )
    .post(
      "/:id/columns/:columnId/move",
      validate("param", columnParam),
      validate("json", moveColumnBody),
      async (c) => {
        const { id, columnId } = c.req.valid("param");
        const items = await columns.move(c.get("user").id, id, columnId, c.req.valid("json").position);
        return c.json({ items });
      },
    )
    .delete(
      "/:id/columns/:columnId",
      validate("param", columnParam),
      validate("query", deleteColumnQuery),
      async (c) => {
        const { id, columnId } = c.req.valid("param");
        await columns.remove(c.get("user").id, id, columnId, c.req.valid("query").moveTo);
        return c.body(null, 204);
      },
    );
}
