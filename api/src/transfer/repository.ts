// Export and import of a user's projects: SQL only, the queryable passed in first. Import writes in
// the transaction service.ts opens.
import type { InlineImageType } from "../attachments/files.ts";
import { MENTION_PATTERN } from "../comments/schemas.ts";
import type { Queryable } from "../db/client.ts";
import type { LabelColor } from "../labels/schemas.ts";
import { findPreferences, savePreferences } from "../preferences/repository.ts";
import type { Role } from "../projects/access.ts";
import { RECURRENCE_JSON, type Task } from "../tasks/repository.ts";
import type { ImportMode } from "./query.ts";
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportDocument, type ImportResult } from "./schemas.ts";

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const group = groups.get(key(row));
    if (group) group.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}

/**
 * A comment's body and mentions for this instance: a mention of someone who is a member of the
 * project points at their id here; anyone else's becomes plain text (@name), with no mention row.
 */
export function remapMentions(
  body: string,
  mentions: { id: string; email: string }[] | undefined,
  memberByEmail: Map<string, string>,
): { body: string; mentionIds: string[] } {
  const emailOf = new Map((mentions ?? []).map((m) => [m.id.toLowerCase(), m.email.toLowerCase()]));
  const ids = new Set<string>();
  const text = body.replace(MENTION_PATTERN, (_whole, name: string, id: string) => {
    const email = emailOf.get(id.toLowerCase());
    const member = email ? memberByEmail.get(email) : undefined;
    if (!member) return `@${name}`;
    ids.add(member);
    return `@[${name}](user:${member})`;
  });
  return { body: text, mentionIds: [...ids] };
}

/** Ordered by what the file holds (milliseconds), so a restored export exports in the same order. */
export async function exportProjects(db: Queryable, userId: string): Promise<ExportDocument> {
  const projects = await db<
    {
      id: string;
      name: string;
      description: string;
      createdAt: Date;
      updatedAt: Date;
      archivedAt: Date | null;
    }[]
  >`
    SELECT p.id, p.name, p.description, p.created_at, p.updated_at, p.archived_at
    FROM projects p JOIN project_members m ON m.project_id = p.id AND m.user_id = ${userId}
    ORDER BY date_trunc('milliseconds', p.created_at), p.id`;
  const ids = projects.map((project) => project.id);
  const members = await db<{ projectId: string; email: string; role: "viewer" | "editor" | "owner" }[]>`
    SELECT m.project_id, u.email, m.role FROM project_members m JOIN users u ON u.id = m.user_id
    WHERE m.project_id = ANY(${ids}::uuid[]) ORDER BY u.email`;
  const columns = await db<
    {
      id: string;
      projectId: string;
      name: string;
      kind: Task["status"];
      done: boolean;
      wipLimit: number | null;
      position: number;
    }[]
  >`
    SELECT id, project_id, name, kind::text AS kind, done, wip_limit, position FROM columns
    WHERE project_id = ANY(${ids}::uuid[]) ORDER BY position, id`;
  const labels = await db<{ projectId: string; name: string; color: LabelColor }[]>`
    SELECT project_id, name, color FROM labels WHERE project_id = ANY(${ids}::uuid[]) ORDER BY name`;
  type ExportedRow = Omit<Task, "assigneeId" | "version"> & { assigneeEmail: string | null };
  const tasks = await db<ExportedRow[]>`
    SELECT t.id, t.project_id, t.title, t.description, t.status, t.column_id, t.priority, t.due_at, t.labels, u.email AS assignee_email,
           t.position, t.created_at, t.updated_at, t.completed_at, t.archived_at, ${db.unsafe(RECURRENCE_JSON)} AS recurrence
    FROM tasks t LEFT JOIN users u ON u.id = t.assignee_id
    WHERE t.project_id = ANY(${ids}::uuid[]) ORDER BY t.status, t.position, t.id`;
  const checklists = await db<{ taskId: string; text: string; done: boolean }[]>`
    SELECT i.task_id, i.text, i.done FROM checklist_items i JOIN tasks t ON t.id = i.task_id
    WHERE t.project_id = ANY(${ids}::uuid[]) ORDER BY i.task_id, i.position, i.id`;
  const comments = await db<
    {
      taskId: string;
      authorEmail: string | null;
      body: string;
      mentions: { id: string; email: string }[];
      createdAt: Date;
      updatedAt: Date;
    }[]
  >`
    SELECT c.task_id, u.email AS author_email, c.body, c.created_at, c.updated_at,
      coalesce((SELECT json_agg(json_build_object('id', m.user_id, 'email', mu.email) ORDER BY mu.email)
                FROM comment_mentions m JOIN users mu ON mu.id = m.user_id WHERE m.comment_id = c.id), '[]') AS mentions
    FROM comments c JOIN tasks t ON t.id = c.task_id LEFT JOIN users u ON u.id = c.author_id
    WHERE t.project_id = ANY(${ids}::uuid[]) ORDER BY c.task_id, c.created_at, c.id`;
  const attachments = await db<
    {
      taskId: string;
      id: string;
      name: string;
      size: number;
      imageType: InlineImageType | null;
      uploaderEmail: string | null;
      createdAt: Date;
    }[]
  >`
    SELECT a.task_id, a.id, a.name, a.size::float8 AS size, a.image_type, u.email AS uploader_email, a.created_at
    FROM attachments a LEFT JOIN users u ON u.id = a.uploader_id
    WHERE a.project_id = ANY(${ids}::uuid[]) ORDER BY a.task_id, a.created_at, a.id`;
  const attachmentsOf = groupBy(attachments, (attachment) => attachment.taskId);
  const checklistOf = groupBy(checklists, (item) => item.taskId);
  const commentsOf = groupBy(comments, (comment) => comment.taskId);
  /** The task's attachments (metadata), checklist and comments, as fields that are absent when empty. */
  const discussion = (taskId: string) => {
    const items = checklistOf.get(taskId) ?? [];
    const notes = commentsOf.get(taskId) ?? [];
    const files = attachmentsOf.get(taskId) ?? [];
    return {
      ...(files.length
        ? {
            attachments: files.map(({ taskId: _taskId, createdAt, ...file }) => ({
              ...file,
              createdAt: createdAt.toISOString(),
            })),
          }
        : {}),
      ...(items.length ? { checklist: items.map(({ text, done }) => ({ text, done })) } : {}),
      ...(notes.length
        ? {
            comments: notes.map(({ authorEmail, body, mentions, createdAt, updatedAt }) => ({
              authorEmail,
              body,
              ...(mentions.length ? { mentions } : {}),
              createdAt: createdAt.toISOString(),
              updatedAt: updatedAt.toISOString(),
            })),
          }
        : {}),
    };
  };
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: new Date().toISOString(),
    preferences: await findPreferences(db, userId),
    projects: projects.map((project) => ({
      id: project.id,
      name: project.name,
      description: project.description,
      createdAt: project.createdAt.toISOString(),
      updatedAt: project.updatedAt.toISOString(),
      archivedAt: iso(project.archivedAt),
      labels: labels.filter((l) => l.projectId === project.id).map(({ name, color }) => ({ name, color })),
      members: members.filter((m) => m.projectId === project.id).map(({ email, role }) => ({ email, role })),
      columns: columns
        .filter((column) => column.projectId === project.id)
        .map(({ projectId: _projectId, ...column }) => column),
      tasks: tasks
        .filter((task) => task.projectId === project.id)
        .map(
          ({
            projectId: _projectId,
            dueAt,
            createdAt,
            updatedAt,
            completedAt,
            archivedAt,
            recurrence,
            ...task
          }) => ({
            ...task,
            ...(recurrence ? { recurrence } : {}),
            dueAt: iso(dueAt),
            createdAt: createdAt.toISOString(),
            updatedAt: updatedAt.toISOString(),
            completedAt: iso(completedAt),
            archivedAt: iso(archivedAt),
            ...discussion(task.id),
          }),
        ),
    })),
  };
}

/** Where each of the file's projects and tasks went (in the file's order): attachments follow their task. */
export interface WrittenProject {
  projectId: string;
  taskIds: string[];
  /** The importer's fellow members by email, for attributing what the file names by email. */
  memberByEmail: Map<string, string>;
  existing: boolean;
}

export type ImportOutcome =
  | { kind: "ok"; result: ImportResult; written: WrittenProject[] }
  /** restore needs project ids, which files of format version 1 do not have */
  | { kind: "missing_id"; index: number }
  /** restore of a project that exists and that the caller does not own */
  | { kind: "not_owner"; index: number };

/**
 * Writes a document in the caller's transaction. `copy` creates every project anew, owned by the
 * importer. `restore` puts each project back to the file's state under its own id: an existing project
 * (the caller must own it) gets the file's name, description and tasks, tasks added since are deleted;
 * a project that no longer exists is created again. Neither mode adds anyone but the importer to a
 * project: other people's consent cannot come from a file, and adding them would also tell the
 * importer which e-mails have accounts. Refusals are found before anything is written.
 */
export async function writeImport(
  tx: Queryable,
  userId: string,
  document: ExportDocument,
  mode: ImportMode,
  /** Ids for the projects a copy creates (an archive import stores their files under them first). */
  newProjectIds?: readonly string[],
): Promise<ImportOutcome> {
  const restore = mode === "restore";
  const ownRole = new Map<string, Role | null>();
  const taskHome = new Map<string, string>();
  if (restore) {
    const missing = document.projects.findIndex((project) => !project.id);
    if (missing >= 0) return { kind: "missing_id", index: missing };
    const ids = document.projects.map((project) => project.id as string);
    // Locked in id order, so two restores of overlapping files cannot deadlock; task writers lock
    // the project row first too (tasks/repository.ts).
    const rows = await tx<{ id: string; role: Role | null }[]>`
      SELECT p.id, m.role FROM projects p
      LEFT JOIN project_members m ON m.project_id = p.id AND m.user_id = ${userId}
      WHERE p.id = ANY(${ids}::uuid[]) ORDER BY p.id FOR UPDATE OF p`;
    for (const row of rows) ownRole.set(row.id, row.role);
    const refused = ids.findIndex((id) => ownRole.has(id) && ownRole.get(id) !== "owner");
    if (refused >= 0) return { kind: "not_owner", index: refused };
    // A task keeps its id only in its own project: a file naming another project's task gets a new one.
    const taskIds = document.projects.flatMap((project) => project.tasks.flatMap((task) => task.id ?? []));
    const homes = await tx<{ id: string; projectId: string }[]>`
      SELECT id, project_id FROM tasks WHERE id = ANY(${taskIds}::uuid[])`;
    for (const home of homes) taskHome.set(home.id, home.projectId);
  }

  const results: ImportResult["projects"] = [];
  const written: WrittenProject[] = [];
  for (const [index, project] of document.projects.entries()) {
    const existing = restore && ownRole.has(project.id as string);
    let projectId: string;
    if (existing) {
      projectId = project.id as string;
      await tx`
        UPDATE projects SET name = ${project.name}, description = ${project.description},
          created_at = ${project.createdAt}, updated_at = ${project.updatedAt},
          archived_at = ${project.archivedAt ?? null}::timestamptz, tasks_version = tasks_version + 1
        WHERE id = ${projectId}`;
    } else {
      // A project created again under its old id must not start at tasks_version 0: task lists cached
      // for that id before the delete would be served again. A microsecond clock is far beyond any
      // count of writes it can have had.
      const [row] = await tx<{ id: string }[]>`
        INSERT INTO projects (id, name, description, created_at, updated_at, archived_at, tasks_version)
        VALUES (coalesce(${restore ? (project.id as string) : (newProjectIds?.[index] ?? null)}::uuid, gen_random_uuid()), ${project.name},
                ${project.description}, ${project.createdAt}, ${project.updatedAt}, ${project.archivedAt ?? null}::timestamptz,
                CASE WHEN ${restore} THEN (extract(epoch FROM clock_timestamp()) * 1000000)::bigint ELSE 0 END)
        RETURNING id`;
      if (!row) throw new Error("insert returned no row");
      projectId = row.id;
      await tx`INSERT INTO project_members (project_id, user_id, role) VALUES (${projectId}, ${userId}, 'owner')`;
    }
    // Only people who already are members stay assignees: a new project has the importer alone.
    const members = await tx<{ id: string; email: string }[]>`
      SELECT u.id, u.email FROM project_members m JOIN users u ON u.id = m.user_id WHERE m.project_id = ${projectId}`;
    const memberByEmail = new Map(members.map((member) => [member.email, member.id]));
    // Format 3 files carry the board's columns: written under their ids (restore, when the id is
    // this project's or nobody's) or new ones; tasks follow their column through `columnIds`. Files
    // without columns keep the project's columns, and migration 0004's trigger puts each task in the
    // first column of its status's kind.
    const columnIds = new Map<string, string>();
    if (project.columns) {
      const fileIds = project.columns.map((column) => column.id);
      const homes = restore
        ? await tx<{ id: string; projectId: string }[]>`
            SELECT id, project_id FROM columns WHERE id = ANY(${fileIds}::uuid[])`
        : [];
      const homeOf = new Map(homes.map((home) => [home.id, home.projectId]));
      const columnRows = project.columns.map((column) => {
        const home = homeOf.get(column.id);
        const id = restore && (home === undefined || home === projectId) ? column.id : crypto.randomUUID();
        columnIds.set(column.id, id);
        return {
          id,
          projectId,
          name: column.name,
          kind: column.kind,
          done: column.done,
          wipLimit: column.wipLimit,
          position: column.position,
        };
      });
      await tx`
        INSERT INTO columns ${tx(columnRows)}
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, done = excluded.done,
          wip_limit = excluded.wip_limit, position = excluded.position`;
    }
    const firstColumnOf = (status: Task["status"]) =>
      [...(project.columns ?? [])]
        .sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : 1))
        .find((column) => column.kind === status)?.id;
    let unassignedTasks = 0;
    let updated = 0;
    const taskRows = project.tasks.map((task) => {
      const assigneeId = task.assigneeEmail ? memberByEmail.get(task.assigneeEmail.toLowerCase()) : undefined;
      if (task.assigneeEmail && !assigneeId) unassignedTasks += 1;
      const home = task.id ? taskHome.get(task.id) : undefined;
      const keepId = restore && task.id !== undefined && (home === undefined || home === projectId);
      if (keepId && home === projectId) updated += 1;
      return {
        id: keepId ? (task.id as string) : crypto.randomUUID(),
        projectId,
        title: task.title,
        description: task.description,
        status: task.status,
        columnId: columnIds.get(task.columnId ?? firstColumnOf(task.status) ?? "") ?? null,
        priority: task.priority,
        dueAt: task.dueAt,
        labels: task.labels,
        assigneeId: assigneeId ?? null,
        position: task.position,
        createdAt: task.createdAt,
        updatedAt: task.updatedAt,
        completedAt: task.completedAt,
        archivedAt: task.archivedAt ?? null,
        recurrenceRule: task.recurrence?.rule ?? null,
        recurrenceFrom: task.recurrence?.from ?? null,
        recurrenceTimeZone: task.recurrence?.timeZone ?? null,
      };
    });
    let deleted = 0;
    if (existing) {
      const gone = await tx`
        DELETE FROM tasks WHERE project_id = ${projectId} AND id <> ALL(${taskRows.map((row) => row.id)}::uuid[])
        RETURNING id`;
      deleted = gone.length;
    }
    // Chunked: one INSERT has at most 65,535 parameters. A restored task gets a new version, so an
    // edit made against the version before the restore is refused as stale. column_id is filled from
    // the status by migration 0004's trigger (looking the columns up here would cost a query per
    // project); `excluded` carries it.
    for (let start = 0; start < taskRows.length; start += 1000) {
      await tx`
        INSERT INTO tasks ${tx(taskRows.slice(start, start + 1000))}
        ON CONFLICT (id) DO UPDATE SET
          title = excluded.title, description = excluded.description, status = excluded.status,
          column_id = excluded.column_id,
          priority = excluded.priority, due_at = excluded.due_at, labels = excluded.labels,
          assignee_id = excluded.assignee_id, position = excluded.position, created_at = excluded.created_at,
          updated_at = excluded.updated_at, completed_at = excluded.completed_at,
          archived_at = excluded.archived_at, recurrence_rule = excluded.recurrence_rule,
          recurrence_from = excluded.recurrence_from, recurrence_time_zone = excluded.recurrence_time_zone,
          version = tasks.version + 1`;
    }
    // Labels: the tasks' names were added by migration 0007's trigger (default colour); the file's
    // labels bring their colours, and a restore drops labels made since that no task carries.
    if (project.labels) {
      if (project.labels.length > 0) {
        await tx`
          INSERT INTO labels ${tx(project.labels.map((label) => ({ projectId, name: label.name, color: label.color })))}
          ON CONFLICT (project_id, name) DO UPDATE SET color = excluded.color`;
      }
      if (existing) {
        await tx`
          DELETE FROM labels l WHERE l.project_id = ${projectId}
            AND l.name <> ALL(${project.labels.map((label) => label.name)}::text[])
            AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.project_id = l.project_id AND t.labels @> ARRAY[l.name])`;
      }
    }
    // Checklists and comments: a restored task gets the file's, replacing what it had.
    const fileTasks = project.tasks.map((task, i) => ({ task, id: (taskRows[i] as { id: string }).id }));
    if (existing) {
      const ids = fileTasks.map((each) => each.id);
      await tx`DELETE FROM checklist_items WHERE task_id = ANY(${ids}::uuid[])`;
      await tx`DELETE FROM comments WHERE task_id = ANY(${ids}::uuid[])`;
    }
    const itemRows = fileTasks.flatMap(({ task, id }) =>
      (task.checklist ?? []).map((item, i) => ({
        taskId: id,
        text: item.text,
        done: item.done,
        position: (i + 1) * 1024,
      })),
    );
    for (let start = 0; start < itemRows.length; start += 5000) {
      await tx`INSERT INTO checklist_items ${tx(itemRows.slice(start, start + 5000))}`;
    }
    const commentRows: {
      id: string;
      taskId: string;
      authorId: string | null;
      body: string;
      createdAt: string;
      updatedAt: string;
    }[] = [];
    const mentionRows: { commentId: string; userId: string }[] = [];
    for (const { task, id } of fileTasks) {
      for (const comment of task.comments ?? []) {
        // Time-ordered ids, made in the file's order: comments with equal times keep it (they list by
        // created_at, then id).
        const commentId = Bun.randomUUIDv7();
        const { body, mentionIds } = remapMentions(comment.body, comment.mentions, memberByEmail);
        commentRows.push({
          id: commentId,
          taskId: id,
          authorId: comment.authorEmail
            ? (memberByEmail.get(comment.authorEmail.toLowerCase()) ?? null)
            : null,
          body,
          createdAt: comment.createdAt,
          updatedAt: comment.updatedAt,
        });
        for (const userId of mentionIds) mentionRows.push({ commentId, userId });
      }
    }
    for (let start = 0; start < commentRows.length; start += 5000) {
      await tx`INSERT INTO comments ${tx(commentRows.slice(start, start + 5000))}`;
    }
    for (let start = 0; start < mentionRows.length; start += 10000) {
      await tx`INSERT INTO comment_mentions ${tx(mentionRows.slice(start, start + 10000))}`;
    }
    if (project.columns) {
      // The columns the file does not name go; every task of the project is in one it names now.
      await tx`
        DELETE FROM columns WHERE project_id = ${projectId} AND id <> ALL(${[...columnIds.values()]}::uuid[])`;
    }
    const skippedMembers = project.members.filter(
      (member) => !memberByEmail.has(member.email.toLowerCase()),
    ).length;
    written.push({ projectId, taskIds: taskRows.map((row) => row.id), memberByEmail, existing });
    results.push({
      id: projectId,
      name: project.name,
      action: existing ? "restored" : "created",
      tasks: { created: taskRows.length - updated, updated, deleted },
      skippedMembers,
      unassignedTasks,
    });
  }
  const total = (count: (project: ImportResult["projects"][number]) => number) =>
    results.reduce((sum, project) => sum + count(project), 0);
  // The file's mail preferences become the importer's (theirs, in the usual case of one's own export).
  if (document.preferences) await savePreferences(tx, userId, document.preferences);
  return {
    kind: "ok",
    written,
    result: {
      mode,
      dryRun: false,
      projects: results,
      tasks: total((project) => project.tasks.created + project.tasks.updated),
      skippedMembers: total((project) => project.skippedMembers),
      unassignedTasks: total((project) => project.unassignedTasks),
      preferences: document.preferences !== undefined,
    },
  };
}
