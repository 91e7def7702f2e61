// Project access: one query answers both "is this user a member, with which role" and the project's
// task-list version (used as the cache key). Non-members get 404, never 403: a project you cannot see
// does not exist for you.
import type { Sql } from "../db/client.ts";
import { ApiError, notFound } from "../http/errors.ts";

export const ROLES = ["viewer", "editor", "owner"] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 1, editor: 2, owner: 3 };

export interface Membership {
  role: Role;
  tasksVersion: string;
  /** When the project was archived; its content is read-only until it is restored. */
  projectArchivedAt: Date | null;
}

export async function findMembership(
  sql: Sql,
  projectId: string,
  userId: string,
): Promise<Membership | undefined> {
  const [row] = await sql<Membership[]>`
    SELECT m.role, p.tasks_version::text AS tasks_version, p.archived_at AS project_archived_at
    FROM project_members m JOIN projects p ON p.id = m.project_id
    WHERE m.project_id = ${projectId} AND m.user_id = ${userId}`;
  return row;
}

export async function requireRole(
  sql: Sql,
  projectId: string,
  userId: string,
  minimum: Role,
): Promise<Membership> {
  const membership = await findMembership(sql, projectId, userId);
  if (!membership) throw notFound("project");
  assertRole(membership.role, minimum);
  return membership;
}

/** 403 unless `role` is at least `minimum`. */
export function assertRole(role: Role, minimum: Role): void {
  if (RANK[role] < RANK[minimum]) {
    throw new ApiError(403, "forbidden", `this needs the ${minimum} role in the project; you are ${role}`);
  }
}

/** 409 while the project is archived: its tasks, labels and settings are read-only until restored. */
export function assertNotArchived(projectArchivedAt: Date | null | undefined): void {
  if (projectArchivedAt) {
    throw new ApiError(409, "project_archived", "the project is archived; restore it to change it");
  }
}

/** requireRole, refusing (409) while the project is archived. */
export async function requireWritable(
  sql: Sql,
  projectId: string,
  userId: string,
  minimum: Role,
): Promise<Membership> {
  const membership = await requireRole(sql, projectId, userId, minimum);
  assertNotArchived(membership.projectArchivedAt);
  return membership;
}
