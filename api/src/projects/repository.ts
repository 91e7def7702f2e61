// Projects and memberships: SQL only. Every function takes the queryable first: the pool, or the
// transaction of the use case in service.ts.
import type { Queryable } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import type { Role } from "./access.ts";
import type { Member, Project } from "./schemas.ts";

/** A project with the reader's role, as read from PostgreSQL (Dates for its timestamps). */
export type ProjectView = WithDates<Project, "createdAt" | "updatedAt" | "archivedAt">;
export type MemberView = Member;

export async function listProjects(db: Queryable, userId: string): Promise<ProjectView[]> {
  return db<ProjectView[]>`
    SELECT p.id, p.name, p.description, m.role, p.created_at, p.updated_at, p.archived_at
    FROM projects p JOIN project_members m ON m.project_id = p.id AND m.user_id = ${userId}
    ORDER BY lower(p.name), p.id`;
}

export async function getProject(
  db: Queryable,
  projectId: string,
  userId: string,
): Promise<ProjectView | undefined> {
  const [row] = await db<ProjectView[]>`
    SELECT p.id, p.name, p.description, m.role, p.created_at, p.updated_at, p.archived_at
    FROM projects p JOIN project_members m ON m.project_id = p.id AND m.user_id = ${userId}
    WHERE p.id = ${projectId}`;
  return row;
}

export async function insertProject(
  tx: Queryable,
  input: { name: string; description?: string },
): Promise<Omit<ProjectView, "role">> {
  const [project] = await tx<Omit<ProjectView, "role">[]>`
    INSERT INTO projects (name, description) VALUES (${input.name}, ${input.description ?? ""})
    RETURNING id, name, description, created_at, updated_at, archived_at`;
  if (!project) throw new Error("insert returned no row");
  return project;
}

export async function updateProject(
  db: Queryable,
  projectId: string,
  changes: { name?: string; description?: string },
): Promise<void> {
  await db`
    UPDATE projects SET
      name = coalesce(${changes.name ?? null}, name),
      description = coalesce(${changes.description ?? null}, description),
      updated_at = now()
    WHERE id = ${projectId}`;
}

/**
 * Archives (`archived` true) or restores the project; false when it already was in that state. Bumps
 * tasks_version: cached task lists of the project are not served again.
 */
export async function setProjectArchived(
  db: Queryable,
  projectId: string,
  archived: boolean,
): Promise<boolean> {
  const rows = await db`
    UPDATE projects SET archived_at = ${archived ? db`now()` : null}, tasks_version = tasks_version + 1
    WHERE id = ${projectId} AND (archived_at IS NULL) = ${archived} RETURNING id`;
  return rows.length > 0;
}

export async function deleteProject(db: Queryable, projectId: string): Promise<void> {
  await db`DELETE FROM projects WHERE id = ${projectId}`;
}

export async function listMembers(db: Queryable, projectId: string): Promise<MemberView[]> {
  return db<MemberView[]>`
    SELECT u.id AS user_id, u.email, u.name, m.role
    FROM project_members m JOIN users u ON u.id = m.user_id
    WHERE m.project_id = ${projectId}
    ORDER BY m.role DESC, lower(u.name), u.id`;
}

export async function addMember(
  db: Queryable,
  projectId: string,
  userId: string,
  role: Role,
): Promise<boolean> {
  const rows = await db`
    INSERT INTO project_members (project_id, user_id, role) VALUES (${projectId}, ${userId}, ${role})
    ON CONFLICT DO NOTHING RETURNING user_id`;
  return rows.length === 1;
}

/** Locks the project row: membership changes of a project queue behind each other. */
export async function lockProjectForMemberChange(tx: Queryable, projectId: string): Promise<void> {
  await tx`SELECT 1 FROM projects WHERE id = ${projectId} FOR UPDATE`;
}

export async function findMemberRole(
  tx: Queryable,
  projectId: string,
  userId: string,
): Promise<Role | undefined> {
  const [member] = await tx<{ role: Role }[]>`
    SELECT role FROM project_members WHERE project_id = ${projectId} AND user_id = ${userId}`;
  return member?.role;
}

export async function countOwners(tx: Queryable, projectId: string): Promise<number> {
  const [{ owners } = { owners: 0 }] = await tx<{ owners: number }[]>`
    SELECT count(*)::int AS owners FROM project_members WHERE project_id = ${projectId} AND role = 'owner'`;
  return owners;
}

export async function setMemberRole(
  tx: Queryable,
  projectId: string,
  userId: string,
  role: Role,
): Promise<void> {
  await tx`UPDATE project_members SET role = ${role} WHERE project_id = ${projectId} AND user_id = ${userId}`;
}

export async function deleteMember(tx: Queryable, projectId: string, userId: string): Promise<void> {
  await tx`DELETE FROM project_members WHERE project_id = ${projectId} AND user_id = ${userId}`;
}
