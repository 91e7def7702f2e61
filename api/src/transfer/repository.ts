// Export and import of a user's projects: SQL only, `sql` passed in. Import runs in one transaction.
import type { Sql } from "../db/client.ts";
import type { Task } from "../tasks/repository.ts";
import type { ExportDocument } from "./schemas.ts";

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

export async function exportProjects(sql: Sql, userId: string): Promise<ExportDocument> {
  const projects = await sql<
    { id: string; name: string; description: string; createdAt: Date; updatedAt: Date }[]
  >`
    SELECT p.id, p.name, p.description, p.created_at, p.updated_at
    FROM projects p JOIN project_members m ON m.project_id = p.id AND m.user_id = ${userId}
    ORDER BY p.created_at, p.id`;
  const ids = projects.map((project) => project.id);
  const members = await sql<{ projectId: string; email: string; role: "viewer" | "editor" | "owner" }[]>`
    SELECT m.project_id, u.email, m.role FROM project_members m JOIN users u ON u.id = m.user_id
    WHERE m.project_id = ANY(${ids}::uuid[]) ORDER BY u.email`;
  type ExportedRow = Omit<Task, "id" | "assigneeId" | "version"> & { assigneeEmail: string | null };
  const tasks = await sql<ExportedRow[]>`
    SELECT t.project_id, t.title, t.description, t.status, t.priority, t.due_at, t.labels, u.email AS assignee_email,
           t.position, t.created_at, t.updated_at, t.completed_at
    FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id
    WHERE t.project_id = ANY(${ids}::uuid[]) ORDER BY t.status, t.position, t.id`;
  return {
    format: "taskplatform-export",
    version: 1,
    exportedAt: new Date().toISOString(),
    projects: projects.map((project) => ({
      name: project.name,
      description: project.description,
      createdAt: project.createdAt.toISOString(),
      updatedAt: project.updatedAt.toISOString(),
      members: members.filter((m) => m.projectId === project.id).map(({ email, role }) => ({ email, role })),
      tasks: tasks
        .filter((task) => task.projectId === project.id)
        .map(({ projectId: _projectId, dueAt, createdAt, updatedAt, completedAt, ...task }) => ({
          ...task,
          dueAt: iso(dueAt),
          createdAt: createdAt.toISOString(),
          updatedAt: updatedAt.toISOString(),
          completedAt: iso(completedAt),
        })),
    })),
  };
}

/**
 * Imports every project as a new project owned by the importer. Members are re-added when an account
 * with their email exists; assignees likewise, otherwise the task is left unassigned.
 */
export async function importProjects(
  sql: Sql,
  userId: string,
  document: ExportDocument,
): Promise<{ projects: { id: string; name: string }[]; tasks: number }> {
  return sql.begin(async (tx) => {
    const emails = [
      ...new Set(
        document.projects.flatMap((p) => [
          ...p.members.map((m) => m.email),
          ...p.tasks.flatMap((t) => (t.assigneeEmail ? [t.assigneeEmail] : [])),
        ]),
      ),
    ];
    const users = await tx<
      { id: string; email: string }[]
    >`SELECT id, email FROM users WHERE email = ANY(${emails.map((e) => e.toLowerCase())}::text[])`;
    const idByEmail = new Map(users.map((user) => [user.email, user.id]));
    const created: { id: string; name: string }[] = [];
    let taskCount = 0;
    for (const project of document.projects) {
      const [row] = await tx<{ id: string; name: string }[]>`
        INSERT INTO projects (name, description, created_at, updated_at)
        VALUES (${project.name}, ${project.description}, ${project.createdAt}, ${project.updatedAt}) RETURNING id, name`;
      if (!row) throw new Error("insert returned no row");
      created.push(row);
      const memberRoles = new Map<string, string>([[userId, "owner"]]);
      for (const member of project.members) {
        const memberId = idByEmail.get(member.email.toLowerCase());
        if (memberId && memberId !== userId) memberRoles.set(memberId, member.role);
      }
      const memberRows = [...memberRoles].map(([memberId, role]) => ({
        projectId: row.id,
        userId: memberId,
        role,
      }));
      await tx`INSERT INTO project_members ${tx(memberRows, "projectId", "userId", "role")}`;
      const taskRows = project.tasks.map((task) => {
        const assigneeId = task.assigneeEmail ? idByEmail.get(task.assigneeEmail.toLowerCase()) : undefined;
        return {
          projectId: row.id,
          title: task.title,
          description: task.description,
          status: task.status,
          priority: task.priority,
          dueAt: task.dueAt,
          labels: task.labels,
          assigneeId: assigneeId && memberRoles.has(assigneeId) ? assigneeId : null,
          position: task.position,
          createdAt: task.createdAt,
          updatedAt: task.updatedAt,
          completedAt: task.completedAt,
        };
      });
      // Chunked: one INSERT has at most 65,535 parameters.
      for (let start = 0; start < taskRows.length; start += 1000) {
        await tx`INSERT INTO tasks ${tx(taskRows.slice(start, start + 1000))}`;
      }
      taskCount += taskRows.length;
    }
    return { projects: created, tasks: taskCount };
  });
}
