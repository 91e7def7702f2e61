// Project and membership use cases. Writes of more than one statement run in one transaction opened
// here; single statements run on the pool (atomic on their own; a second statement joining one later
// wraps it in sql.begin). Events are published only after the commit.
import { recordActivity } from "../activity/repository.ts";
import { findUserByEmail } from "../auth/users.ts";
import { type Queryable, timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { announce, notify } from "../notifications/service.ts";
import { StoreUnavailableError } from "../store/store.ts";
import { unassignMember } from "../tasks/repository.ts";
import { type Role, requireRole, requireWritable } from "./access.ts";
import * as projects from "./repository.ts";

/**
 * Adding a member answers whether an e-mail has an account (404 otherwise): the form needs to say so,
 * and the member list would tell anyway. Sign-up tells too, at most 30 times a minute per address
 * (RATE_LIMIT_AUTH_IP). Unknown e-mails are therefore counted per user and per address, and past
 * this many an hour adding members is refused for everyone, known e-mails included, so a script
 * cannot use the member form to check a list of addresses. Typos rarely add up to twenty.
 */
export const MEMBER_LOOKUP_MISSES = 20;
export const MEMBER_LOOKUP_WINDOW_SECONDS = 3600;

export function createProjectService(deps: Deps, publish: Publish) {
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

  const readProject = async (projectId: string, userId: string) => {
    const project = await timed(metrics, "projects.get", () => projects.getProject(sql, projectId, userId));
    if (!project) throw notFound("project");
    return project;
  };

  /**
   * Changes (`role`) or removes (null) a membership, refusing to leave a project without an owner. The
   * project row is locked so two owners demoting each other at once cannot both succeed. A removed
   * member is unassigned from the project's tasks in the same transaction; those tasks are returned for
   * the events.
   */
  const changeMember = async (tx: Queryable, projectId: string, userId: string, role: Role | null) => {
    await projects.lockProjectForMemberChange(tx, projectId);
    const current = await projects.findMemberRole(tx, projectId, userId);
    if (!current) throw notFound("member");
    if (current === "owner" && role !== "owner" && (await projects.countOwners(tx, projectId)) <= 1) {
      throw new ApiError(
        409,
        "last_owner",
        "a project needs at least one owner; make someone else owner first",
      );
    }
    if (role !== null) {
      await projects.setMemberRole(tx, projectId, userId, role);
      return [];
    }
    await projects.deleteMember(tx, projectId, userId);
    return unassignMember(tx, projectId, userId);
  };

  return {
    list: (userId: string) => timed(metrics, "projects.list", () => projects.listProjects(sql, userId)),

    get: (userId: string, projectId: string) => readProject(projectId, userId),

    async create(userId: string, input: { name: string; description?: string }) {
      const project = await timed(metrics, "projects.create", () =>
        sql.begin(async (tx) => {
          const created = await projects.insertProject(tx, input);
          await projects.addMember(tx, created.id, userId, "owner");
          return { ...created, role: "owner" as const };
        }),
      );
      await publish({ type: "project.created", projectId: project.id, actorId: userId, project });
      return project;
    },

    async update(userId: string, projectId: string, changes: { name?: string; description?: string }) {
      await requireWritable(sql, projectId, userId, "owner");
      await timed(metrics, "projects.update", () => projects.updateProject(sql, projectId, changes));
      const project = await readProject(projectId, userId);
      await publish({ type: "project.updated", projectId, actorId: userId, project });
      return project;
    },

    /**
     * Archives (true) or restores (false) the project (owner). An archived project leaves the sidebar
     * for its "Archived" section; members still read it, writes are refused (409) until it is restored.
     * Archiving an archived project (or restoring an active one) changes nothing and answers the project.
     */
    async setArchived(userId: string, projectId: string, archived: boolean) {
      await requireRole(sql, projectId, userId, "owner");
      const changed = await timed(metrics, archived ? "projects.archive" : "projects.restore", () =>
        sql.begin(async (tx) => {
          const done = await projects.setProjectArchived(tx, projectId, archived);
          if (done) {
            await recordActivity(tx, {
              projectId,
              taskId: null,
              actorId: userId,
              kind: archived ? "project.archived" : "project.restored",
            });
          }
          return done;
        }),
      );
      const project = await readProject(projectId, userId);
      if (changed) {
        await publish({
          type: archived ? "project.archived" : "project.restored",
          projectId,
          actorId: userId,
          project,
        });
      }
      return project;
    },

    async remove(userId: string, projectId: string) {
      await requireRole(sql, projectId, userId, "owner");
      await timed(metrics, "projects.delete", () => projects.deleteProject(sql, projectId));
      await publish({ type: "project.deleted", projectId, actorId: userId });
    },

    async members(userId: string, projectId: string) {
      await requireRole(sql, projectId, userId, "viewer");
      return timed(metrics, "members.list", () => projects.listMembers(sql, projectId));
    },

    /** Adds the account with this e-mail; `clientIp` counts toward the unknown-e-mail budget. */
    async addMember(actorId: string, clientIp: string, projectId: string, email: string, role: Role) {
      await requireRole(sql, projectId, actorId, "owner");
      const missKeys = [`member-lookups:user:${actorId}`, `member-lookups:ip:${clientIp}`];
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
      const notified = await timed(metrics, "members.add", () =>
        sql.begin(async (tx) => {
          if (!(await projects.addMember(tx, projectId, user.id, role))) {
            throw new ApiError(409, "already_member", "this person is already a member");
          }
          return notify(tx, {
            kind: "added_to_project",
            recipients: [user.id],
            projectId,
            actorId,
            data: { role },
          });
        }),
      );
      const member = { userId: user.id, email: user.email, name: user.name, role };
      await publish({ type: "member.added", projectId, actorId, member });
      await announce(sql, publish, notified);
      return member;
    },

    async updateMember(actorId: string, projectId: string, userId: string, role: Role) {
      await requireRole(sql, projectId, actorId, "owner");
      await timed(metrics, "members.update", () =>
        sql.begin((tx) => changeMember(tx, projectId, userId, role)),
      );
      const member = (await projects.listMembers(sql, projectId)).find(
        (candidate) => candidate.userId === userId,
      );
      await publish({ type: "member.updated", projectId, actorId, member: { userId, role } });
      return member;
    },

    /** Anyone may leave a project; only owners may remove others. */
    async removeMember(actorId: string, projectId: string, userId: string) {
      await requireRole(sql, projectId, actorId, userId === actorId ? "viewer" : "owner");
      const unassigned = await timed(metrics, "members.remove", () =>
        sql.begin((tx) => changeMember(tx, projectId, userId, null)),
      );
      await publish({ type: "member.removed", projectId, actorId, member: { userId } });
      for (const task of unassigned) await publish({ type: "task.updated", projectId, actorId, task });
    },
  };
}
