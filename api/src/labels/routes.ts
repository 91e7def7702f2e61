// /api/projects/:id/labels: a project's managed labels (name and palette colour). Viewers read,
// owners create, rename, recolour and delete. Use cases: service.ts.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { projectIdParam } from "../projects/schemas.ts";
import { createLabelBody, labelParam, updateLabelBody } from "./schemas.ts";
import { createLabelService } from "./service.ts";

export function labelRoutes(deps: Deps, publish: Publish) {
  const labels = createLabelService(deps, publish);

  return new Hono<AppEnv>()
    .get("/:id/labels", validate("param", projectIdParam), async (c) => {
      return c.json({ items: await labels.list(c.get("user").id, c.req.valid("param").id) });
    })
    .post("/:id/labels", validate("param", projectIdParam), validate("json", createLabelBody), async (c) => {
      const label = await labels.create(c.get("user").id, c.req.valid("param").id, c.req.valid("json"));
      return c.json(label, 201);
    })
    .patch(
      "/:id/labels/:labelId",
      validate("param", labelParam),
      validate("json", updateLabelBody),
      async (c) => {
        const { id, labelId } = c.req.valid("param");
        return c.json(await labels.update(c.get("user").id, id, labelId, c.req.valid("json")));
      },
    )
    .delete("/:id/labels/:labelId", validate("param", labelParam), async (c) => {
      const { id, labelId } = c.req.valid("param");
      await labels.remove(c.get("user").id, id, labelId);
      return c.body(null, 204);
    });
}
