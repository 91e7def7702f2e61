// /api/notifications: the signed-in user's inbox (newest first, paged, optionally unread only), the
// unread count, mark one or all read; /api/tasks/:id/watch: follow a task's comments. Use cases:
// service.ts.
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { taskIdParam } from "../tasks/schemas.ts";
import { notificationParam, notificationQuery } from "./schemas.ts";
import { createNotificationService } from "./service.ts";

export function notificationRoutes(deps: Deps, publish: Publish) {
  const inbox = createNotificationService(deps, publish);

  return new Hono<AppEnv>()
    .get("/notifications", validate("query", notificationQuery), async (c) =>
      c.json(await inbox.list(c.get("user").id, c.req.valid("query"))),
    )
    .get("/notifications/unread-count", async (c) =>
      c.json({ unread: await inbox.unreadCount(c.get("user").id) }),
    )
    .post("/notifications/read-all", async (c) => c.json(await inbox.markAllRead(c.get("user").id)))
    .post("/notifications/:id/read", validate("param", notificationParam), async (c) =>
      c.json(await inbox.markRead(c.get("user").id, c.req.valid("param").id)),
    )
    .get("/tasks/:id/watch", validate("param", taskIdParam), async (c) =>
      c.json(await inbox.watching(c.get("user").id, c.req.valid("param").id)),
    )
    .post("/tasks/:id/watch", validate("param", taskIdParam), async (c) =>
      c.json(await inbox.setWatching(c.get("user").id, c.req.valid("param").id, true)),
    )
    .delete("/tasks/:id/watch", validate("param", taskIdParam), async (c) =>
      c.json(await inbox.setWatching(c.get("user").id, c.req.valid("param").id, false)),
    );
}
