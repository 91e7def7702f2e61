// /api/projects and their members. Viewers read, owners manage; the last owner cannot leave.
import { Hono } from "hono";
import { findUserByEmail } from "../auth/users.ts";
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import type { AppEnv } from "../http/context.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { validate } from "../http/validate.ts";
import { StoreUnavailableError } from "../store/store.ts";
import { requireRole } from "./access.ts";
import * as projects from "./repository.ts";
import {
  addMemberBody,
  createProjectBody,
  memberParam,
  projectIdParam,
  updateMemberBody,
  updateProjectBody,
} from "./schemas.ts";

/**
 * Adding a member answers whether an e-mail has an account (404 otherwise): the form needs to say so,
 * and the member list would tell anyway. Sign-up tells too, at most 30 times a minute per address
 * (RATE_LIMIT_AUTH_IP). Unknown e-mails are therefore counted per user and per address, and past
 * this many an hour adding members is refused for everyone, known e-mails included, so a script
 * cannot use the member form to check a list of addresses. Typos rarely add up to twenty.
 */
export const MEMBER_LOOKUP_MISSES = 20;
export const MEMBER_LOOKUP_WINDOW_SECONDS = 3600;

export function projectRoutes(deps: Deps, publish: Publish) {
  const { sql, store, metrics } = deps;

  /** Like the request rate limits, this one is skipped while the store is down rather than refusing. */
  const withStore = async <T>(run: () => Promise<T>, fallback: T): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof StoreUnavailableError) return fallback;
      throw error;
    }
  };

  const loadProject = async (projectId: string, userId: string) => {
    const project = await timed(metrics, "projects.get", () => projects.getProject(sql, projectId, userId));
    if (!project) throw notFound("project");
    return project;
  };

  const memberChangeError = (outcome: projects.MemberChange) =>
    outcome === "last_owner"
      ? new ApiError(409, "last_owner", "a project needs at least one owner; make someone else owner first")
      : notFound("member");

  return new Hono<AppEnv>()
    .get("/", async (c) => {
      const items = await timed(metrics, "projects.list", () => projects.listProjects(sql, c.get("user").id));
      return c.json({ items });
    })
    .post("/", validate("json", createProjectBody), async (c) => {
      const userId = c.get("user").id;
      const project = await timed(metrics, "projects.create", () =>
        projects.createProject(sql, userId, c.req.valid("json")),
      );
      await publish({ type: "project.created", projectId: project.id, actorId: userId, project });
      return c.json(project, 201);
    })
    .get("/:id", validate("param", projectIdParam), async (c) => {
      return c.json(await loadProject(c.req.valid("param").id, c.get("user").id));
    })
    .patch("/:id", validate("param", projectIdParam), validate("json", updateProjectBody), async (c) => {
      const { id } = c.req.valid("param");
      const userId = c.get("user").id;
      await requireRole(sql, id, userId, "owner");
      await timed(metrics, "projects.update", () => projects.updateProject(sql, id, c.req.valid("json")));
      const project = await loadProject(id, userId);
      await publish({ type: "project.updated", projectId: id, actorId: userId, project });
      return c.json(project);
    })
    .delete("/:id", validate("param", projectIdParam), async (c) => {
      const { id } = c.req.valid("param");
      const userId = c.get("user").id;
      await requireRole(sql, id, userId, "owner");
      await timed(metrics, "projects.delete", () => projects.deleteProject(sql, id));
      await publish({ type: "project.deleted", projectId: id, actorId: userId });
      return c.body(null, 204);
    })
    .get("/:id/members", validate("param", projectIdParam), async (c) => {
      const { id } = c.req.valid("param");
      await requireRole(sql, id, c.get("user").id, "viewer");
      return c.json({ items: await timed(metrics, "members.list", () => projects.listMembers(sql, id)) });
    })
    .post("/:id/members", validate("param", projectIdParam), validate("json", addMemberBody), async (c) => {
      const { id } = c.req.valid("param");
      const actorId = c.get("user").id;
      await requireRole(sql, id, actorId, "owner");
      const { email, role } = c.req.valid("json");
      const missKeys = [`member-lookups:user:${actorId}`, `member-lookups:ip:${c.get("clientIp")}`];
      const counters = await withStore(() => Promise.all(missKeys.map((key) => store.peek(key))), []);
      const blocked = counters.filter((counter) => counter.count >= MEMBER_LOOKUP_MISSES);
      if (blocked.length > 0) {
        metrics.rateLimited.inc({ scope: "member_lookup" });
        const retryAfter = Math.max(...blocked.map((counter) => counter.resetSeconds));
        const minutes = Math.ceil(retryAfter / 60);
        throw new ApiError(
          429,
          "too_many_unknown_emails",
          `Too many of the e-mail addresses tried have no account. Try again in ${minutes === 1 ? "a minute" : `${minutes} minutes`}.`,
          undefined,
          { "Retry-After": String(retryAfter) },
        );
      }
      const user = await findUserByEmail(sql, email);
      if (!user) {
        await withStore(() => store.hit(missKeys, MEMBER_LOOKUP_WINDOW_SECONDS), []);
        throw new ApiError(404, "user_not_found", "no account uses this email; ask them to sign up first");
      }
      if (!(await timed(metrics, "members.add", () => projects.addMember(sql, id, user.id, role)))) {
        throw new ApiError(409, "already_member", "this person is already a member");
      }
      const member = { userId: user.id, email: user.email, name: user.name, role };
      await publish({ type: "member.added", projectId: id, actorId, member });
      return c.json(member, 201);
    })
    .patch(
      "/:id/members/:userId",
      validate("param", memberParam),
      validate("json", updateMemberBody),
      async (c) => {
        const { id, userId } = c.req.valid("param");
        const actorId = c.get("user").id;
        await requireRole(sql, id, actorId, "owner");
        const { role } = c.req.valid("json");
        const { outcome } = await timed(metrics, "members.update", () =>
          projects.changeMember(sql, id, userId, role),
        );
        if (outcome !== "changed") throw memberChangeError(outcome);
        const member = (await projects.listMembers(sql, id)).find((candidate) => candidate.userId === userId);
        await publish({ type: "member.updated", projectId: id, actorId, member: { userId, role } });
        return c.json(member);
      },
    )
    .delete("/:id/members/:userId", validate("param", memberParam), async (c) => {
      const { id, userId } = c.req.valid("param");
      const actorId = c.get("user").id;
      // Anyone may leave a project; only owners may remove others.
      await requireRole(sql, id, actorId, userId === actorId ? "viewer" : "owner");
      const { outcome, unassigned } = await timed(metrics, "members.remove", () =>
        projects.changeMember(sql, id, userId, null),
      );
      if (outcome !== "changed") throw memberChangeError(outcome);
      await publish({ type: "member.removed", projectId: id, actorId, member: { userId } });
      for (const task of unassigned) await publish({ type: "task.updated", projectId: id, actorId, task });
      return c.body(null, 204);
    });
}
