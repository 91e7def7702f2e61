// /api/projects/:id/invitations (owners): invite by e-mail, list the pending ones, revoke, re-send.
// POST /api/projects/:id/members is the same invitation (the previous SPA's form). The public
// preview of a link is POST /api/auth/invitation (auth/routes.ts).
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { validate } from "../http/validate.ts";
import { projectIdParam } from "../projects/schemas.ts";
import { type InviteBody, invitationParam, inviteBody } from "./schemas.ts";
import { createInvitationService } from "./service.ts";

export function invitationRoutes(deps: Deps, publish: Publish) {
  const invitations = createInvitationService(deps, publish);
  const param = validate("param", projectIdParam);
  const body = validate("json", inviteBody);
  const invite = (actorId: string, clientIp: string, projectId: string, input: InviteBody) =>
    invitations.invite(actorId, clientIp, projectId, input.email, input.role);

  return new Hono<AppEnv>()
    .post("/:id/invitations", param, body, async (c) =>
      c.json(
        await invite(c.get("user").id, c.get("clientIp"), c.req.valid("param").id, c.req.valid("json")),
        202,
      ),
    )
    .post("/:id/members", param, body, async (c) =>
      c.json(
        await invite(c.get("user").id, c.get("clientIp"), c.req.valid("param").id, c.req.valid("json")),
        202,
      ),
    )
    .get("/:id/invitations", validate("param", projectIdParam), async (c) => {
      return c.json({ items: await invitations.list(c.get("user").id, c.req.valid("param").id) });
    })
    .delete("/:id/invitations/:invitationId", validate("param", invitationParam), async (c) => {
      const { id, invitationId } = c.req.valid("param");
      await invitations.revoke(c.get("user").id, id, invitationId);
      return c.body(null, 204);
    })
    .post("/:id/invitations/:invitationId/resend", validate("param", invitationParam), async (c) => {
      const { id, invitationId } = c.req.valid("param");
      return c.json(await invitations.resend(c.get("user").id, c.get("clientIp"), id, invitationId));
    });
}
