// GET /api/export and POST /api/import: a lossless JSON round trip of the caller's projects.
import { Hono } from "hono";
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { exportProjects, importProjects } from "./repository.ts";
import { exportDocument } from "./schemas.ts";

export function transferRoutes(deps: Deps, publish: Publish) {
  const { sql, metrics } = deps;
  return new Hono<AppEnv>()
    .get("/export", async (c) => {
      const document = await timed(metrics, "transfer.export", () => exportProjects(sql, c.get("user").id));
      c.header(
        "Content-Disposition",
        `attachment; filename="taskplatform-export-${document.exportedAt.slice(0, 10)}.json"`,
      );
      return c.json(document);
    })
    .post("/import", validate("json", exportDocument), async (c) => {
      const userId = c.get("user").id;
      const result = await timed(metrics, "transfer.import", () =>
        importProjects(sql, userId, c.req.valid("json")),
      );
      for (const project of result.projects) {
        await publish({ type: "project.created", projectId: project.id, actorId: userId, project });
      }
      return c.json(result, 201);
    });
}
