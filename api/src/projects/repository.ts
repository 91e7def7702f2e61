// Projects and memberships: SQL only, `sql` passed in.
import type { Sql } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import { type Task, taskColumns } from "../tasks/repository.ts";
import type { Role } from "./access.ts";
import type { Member, Project } from "./schemas.ts";

/** A project with the reader's role, as read from PostgreSQL (Dates for its timestamps). */
export type ProjectView = WithDates<Project, "createdAt" | "updatedAt">;
export type MemberView = Member;

export async function listProjects(sql: Sql, userId: string): Promise<ProjectView[]> {
  return sql<ProjectView[]>`
    SELECT p.id, p.name, p.description, m.role, p.created_at, p.updated_at
    FROM projects p JOIN project_members m ON m.project_id = p.id AND m.user_id = ${userId}
    ORDER BY lower(p.name), p.id`;
}

export async function getProject(
  sql: Sql,
  projectId: string,
  userId: string,
): Promise<ProjectView | undefined> {
  const [row] = await sql<ProjectView[]>`
    SELECT p.id, p.name, p.description, m.role, p.created_at, p.updated_at
    FROM projects p JOIN project_members m ON m.project_id = p.id AND m.user_id = ${userId}
    WHERE p.id = ${projectId}`;
  return row;
}

export async function createProject(
  sql: Sql,
  userId: string,
  input: { name: string; description?: string },
): Promise<ProjectView> {
  return sql.begin(async (tx) => {
    const [project] = await tx<Omit<ProjectView, "role">[]>`
      INSERT INTO projects (name, description) VALUES (${input.name}, ${input.description ?? ""})
      RETURNING id, name, description, created_at, updated_at`;
    if (!project) throw new Error("insert returned no row");
    await tx`INSERT INTO project_members (project_id, user_id, role) VALUES (${project.id}, ${userId}, 'owner')`;
    return { ...project, role: "owner" as const };
  });
}

export async function updateProject(
  sql: Sql,
  projectId: string,
  changes: { name?: string; description?: string },
): Promise<void> {
  await sql`
    UPDATE projects SET
      name = coalesce(${changes.name ?? null}, name),
      description = coalesce(${changes.description ?? null}, description),
      updated_at = now()
    WHERE id = ${projectId}`;
}

export async function deleteProject(sql: Sql, projectId: string): Promise<void> {
  await sql`DELETE FROM projects WHERE id = ${projectId}`;
}

export async function listMembers(sql: Sql, projectId: string): Promise<MemberView[]> {
  return sql<MemberView[]>`
    SELECT u.id AS user_id, u.email, u.name, m.role
    FROM project_members m JOIN users u ON u.id = m.user_id
    WHERE m.project_id = ${projectId}
    ORDER BY m.role DESC, lower(u.name), u.id`;
}

export async function addMember(sql: Sql, projectId: string, userId: string, role: Role): Promise<boolean> {
  const rows = await sql`
    INSERT INTO project_members (project_id, user_id, role) VALUES (${projectId}, ${userId}, ${role})
    ON CONFLICT DO NOTHING RETURNING user_id`;
  return rows.length === 1;
}

export type MemberChange = "changed" | "not_member" | "last_owner";

/**
 * Changes or removes a membership, refusing to leave a project without an owner. The project row is
 * locked so two owners demoting each other at once cannot both succeed. A removed member is unassigned
 * from the project's tasks in the same transaction (their versions and the project's tasks_version
 * bumped like any task write); those tasks are returned for the events.
 */
export async function changeMember(
  sql: Sql,
  projectId: string,
  userId: string,
  role: Role | null,
): Promise<{ outcome: MemberChange; unassigned: Task[] }> {
  return sql.begin(async (tx) => {
    const unchanged = (outcome: MemberChange) => ({ outcome, unassigned: [] });
    await tx`SELECT 1 FROM projects WHERE id = ${projectId} FOR UPDATE`;
    const [member] = await tx<
      { role: Role }[]
    >`SELECT role FROM project_members WHERE project_id = ${projectId} AND user_id = ${userId}`;
    if (!member) return unchanged("not_member");
    if (member.role === "owner" && role !== "owner") {
      const [{ owners } = { owners: 0 }] = await tx<{ owners: number }[]>`
        SELECT count(*)::int AS owners FROM project_members WHERE project_id = ${projectId} AND role = 'owner'`;
      if (owners <= 1) return unchanged("last_owner");
    }
    if (role !== null) {
      await tx`UPDATE project_members SET role = ${role} WHERE project_id = ${projectId} AND user_id = ${userId}`;
      return unchanged("changed");
    }
    await tx`DELETE FROM project_members WHERE project_id = ${projectId} AND user_id = ${userId}`;
    const unassigned = await tx<Task[]>`
      UPDATE tasks SET assignee_id = NULL, version = version + 1, updated_at = now()
      WHERE project_id = ${projectId} AND assignee_id = ${userId}
      RETURNING ${taskColumns(tx)}`;
    if (unassigned.length > 0)
      await tx`UPDATE projects SET tasks_version = tasks_version + 1 WHERE id = ${projectId}`;
    return { outcome: "changed", unassigned: [...unassigned] };
  });
}
