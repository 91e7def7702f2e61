// The export document. People are referenced by email, so a file imports into another TaskPlatform as
// well as back into this one. Version 2 adds project and task ids, which a restore puts back in
// place; a copy ignores them, and version 1 files (no ids) still import as a copy. Version 3 adds each
// project's columns and each task's column; files without them (versions 1 and 2) import unchanged,
// every task landing in the first column of its status's kind. Tasks of any version may carry
// `checklist` and `comments` (optional, so files from before them import unchanged), and `archivedAt`
// and project labels with colours (optional likewise). Version 4 lists each task's `attachments`
// (metadata only: the bytes are in the backup, scripts/backup.sh, and in the export archive, archive.ts);
// a JSON import reads and checks the list but creates no attachment from it, and a restore leaves a
// task's attachments as they are; an archive import creates them with their bytes. Version 4
// also adds the exporting user's mail preferences (`preferences`, never tokens); optional on import,
// where they become the importer's (the time zone among them). Version 4 also adds a repeating task's
// `recurrence` (optional: absent for tasks that do not repeat and in older files).
import { z } from "zod";
import { INLINE_IMAGE_TYPES } from "../attachments/files.ts";
import { checklistTextSchema, MAX_CHECKLIST_ITEMS } from "../checklists/schemas.ts";
import { columnName, MAX_COLUMNS, wipLimit } from "../columns/schemas.ts";
import { commentBodySchema } from "../comments/schemas.ts";
import { labelColorSchema, labelNameSchema } from "../labels/schemas.ts";
import { updatePreferencesBody } from "../preferences/schemas.ts";
import { ROLES } from "../projects/access.ts";
import { recurrenceAnchor, ruleSchema, timeZoneSchema } from "../recurrence/schemas.ts";
import {
  descriptionSchema,
  labelsSchema,
  prioritySchema,
  statusSchema,
  titleSchema,
} from "../tasks/schemas.ts";
import { IMPORT_MODES } from "./query.ts";

export const EXPORT_FORMAT = "taskplatform-export";
export const EXPORT_VERSION = 4;

const timestamp = z.iso.datetime({ offset: true });

/** A comment; its author and mentions by email. Mentions stay @[name](user:<id>) in the body, and
 * `mentions` says whose ids those are, so an import can point them at its own users. */
export const exportedComment = z.strictObject({
  authorEmail: z.email().nullable(),
  body: commentBodySchema,
  mentions: z
    .array(z.strictObject({ id: z.uuid(), email: z.email() }))
    .max(100)
    .optional(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const exportedTask = z.strictObject({
  id: z.uuid().optional(),
  title: titleSchema,
  description: descriptionSchema,
  status: statusSchema,
  priority: prioritySchema,
  dueAt: timestamp.nullable(),
  labels: labelsSchema,
  assigneeEmail: z.email().nullable(),
  /** A column of the same project's `columns` (format 3); its kind is the task's status. */
  columnId: z.uuid().optional(),
  position: z.number().finite(),
  createdAt: timestamp,
  updatedAt: timestamp,
  completedAt: timestamp.nullable(),
  /** In order; absent when empty (files from before checklists import unchanged). */
  checklist: z
    .array(z.strictObject({ text: checklistTextSchema, done: z.boolean() }))
    .max(MAX_CHECKLIST_ITEMS)
    .optional(),
  /** Oldest first; absent when there are none. */
  comments: z.array(exportedComment).max(5000).optional(),
  /** Optional: files written before archiving existed have none (not archived). */
  archivedAt: timestamp.nullable().optional(),
  /** Format 4: how the task repeats; absent when it does not. */
  recurrence: z
    .strictObject({ rule: ruleSchema, from: recurrenceAnchor, timeZone: timeZoneSchema })
    .nullable()
    .optional(),
  /** Format 4, absent when none: what was attached (no bytes; only an archive import creates them). */
  attachments: z
    .array(
      z.strictObject({
        id: z.uuid(),
        name: z.string().min(1).max(255),
        size: z.number().int().nonnegative(),
        imageType: z.enum(INLINE_IMAGE_TYPES).nullable(),
        uploaderEmail: z.email().nullable(),
        createdAt: timestamp,
      }),
    )
    .max(10_000)
    .optional(),
});

export const exportedColumn = z.strictObject({
  id: z.uuid(),
  name: columnName,
  kind: statusSchema,
  done: z.boolean(),
  wipLimit,
  position: z.number().finite(),
});

export const exportedProject = z.strictObject({
  id: z.uuid().optional(),
  name: z.string().trim().min(1).max(100),
  description: z.string().max(2000),
  createdAt: timestamp,
  updatedAt: timestamp,
  archivedAt: timestamp.nullable().optional(),
  /** The project's managed labels with their colours; older files have none (their tasks' labels are
   * created with the default colour). */
  labels: z
    .array(z.strictObject({ name: labelNameSchema, color: labelColorSchema }))
    .max(1000)
    .optional(),
  members: z.array(z.strictObject({ email: z.email(), role: z.enum(ROLES) })).max(1000),
  /** Format 3: the board's columns. Without them the project gets the default three. */
  columns: z.array(exportedColumn).min(1).max(MAX_COLUMNS).optional(),
  tasks: z.array(exportedTask).max(20_000),
});

const documentHeader = {
  format: z.literal(EXPORT_FORMAT),
  version: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(EXPORT_VERSION)]),
  exportedAt: timestamp,
  /** Format 4: the exporting user's mail preferences and time zone (any subset on import; what is left out stays). */
  preferences: updatePreferencesBody.optional(),
};

export const exportDocument = z
  .strictObject({ ...documentHeader, projects: z.array(exportedProject).max(500) })
  .superRefine((document, ctx) => {
    // An id names one project or task: a file naming it twice cannot be restored.
    const seen = new Set<string>();
    document.projects.forEach((project, p) => {
      const entries: [string | undefined, (string | number)[]][] = [
        [project.id, ["projects", p, "id"]],
        ...(project.columns ?? []).map((column, c): [string, (string | number)[]] => [
          column.id,
          ["projects", p, "columns", c, "id"],
        ]),
        ...project.tasks.map((task, i): [string | undefined, (string | number)[]] => [
          task.id,
          ["projects", p, "tasks", i, "id"],
        ]),
      ];
      for (const [id, path] of entries) {
        if (id === undefined) continue;
        if (seen.has(id)) ctx.addIssue({ code: "custom", path, message: "appears twice in the file" });
        seen.add(id);
      }
      // Columns: every kind has one (a status maps to the first column of its kind), and a task's
      // column is one of its project's.
      const columns = new Map((project.columns ?? []).map((column) => [column.id, column]));
      if (project.columns) {
        for (const kind of statusSchema.options) {
          if (!project.columns.some((column) => column.kind === kind))
            ctx.addIssue({
              code: "custom",
              path: ["projects", p, "columns"],
              message: `needs a ${kind} column`,
            });
        }
      }
      project.tasks.forEach((task, i) => {
        if (task.columnId !== undefined && !columns.has(task.columnId)) {
          ctx.addIssue({
            code: "custom",
            path: ["projects", p, "tasks", i, "columnId"],
            message: "is not one of the project's columns",
          });
        }
      });
    });
  });

export type ExportDocument = z.infer<typeof exportDocument>;

/** Problems reported for a wrong file; checking stops there. */
export const MAX_REPORTED_ISSUES = 50;

const arrayOfAny = (max: number) => z.array(z.unknown()).max(max);
const documentShell = z.strictObject({ ...documentHeader, projects: arrayOfAny(500) });
const projectShell = exportedProject.extend({
  members: arrayOfAny(1000),
  columns: arrayOfAny(MAX_COLUMNS).optional(),
  tasks: arrayOfAny(20_000),
});
const memberSchema = exportedProject.shape.members.element;

/**
 * exportDocument.safeParse, except that a wrong file costs little: zod reports every problem, and a
 * 1 MiB file of 340,000 empty tasks made 3.7 million issues (4 s and 1.5 GB). The document and each
 * project are checked without their items first, then the items one by one, stopping after
 * MAX_REPORTED_ISSUES; only a file without problems is parsed whole.
 */
export function parseExportDocument(
  input: unknown,
): { success: true; data: ExportDocument } | { success: false; issues: z.core.$ZodIssue[] } {
  const issues: z.core.$ZodIssue[] = [];
  const check = (schema: z.ZodType, value: unknown, path: PropertyKey[]) => {
    const result = schema.safeParse(value);
    if (!result.success)
      issues.push(...result.error.issues.map((issue) => ({ ...issue, path: [...path, ...issue.path] })));
    return result.success;
  };
  if (check(documentShell, input, [])) {
    const projects = (input as { projects: unknown[] }).projects;
    projects.forEach((project, p) => {
      if (issues.length >= MAX_REPORTED_ISSUES || !check(projectShell, project, ["projects", p])) return;
      const { members, tasks, columns } = project as {
        members: unknown[];
        tasks: unknown[];
        columns?: unknown[];
      };
      for (const [key, schema, items] of [
        ["members", memberSchema, members],
        ["columns", exportedColumn, columns ?? []],
        ["tasks", exportedTask, tasks],
      ] as const) {
        for (let i = 0; i < items.length && issues.length < MAX_REPORTED_ISSUES; i++) {
          check(schema, items[i], ["projects", p, key, i]);
        }
      }
    });
  }
  if (issues.length > 0) return { success: false, issues: issues.slice(0, MAX_REPORTED_ISSUES) };
  const whole = exportDocument.safeParse(input);
  return whole.success ? { success: true, data: whole.data } : { success: false, issues: whole.error.issues };
}

const taskCounts = z.object({ created: z.int(), updated: z.int(), deleted: z.int() });

export const importResult = z.object({
  mode: z.enum(IMPORT_MODES),
  /** Nothing was written: this is what the import would do. */
  dryRun: z.boolean(),
  projects: z.array(
    z.object({
      /** null for a project a dry-run copy would create (it has no id yet). */
      id: z.uuid().nullable(),
      name: z.string(),
      /** restored: an existing project was put back to the file's state; created: a new project. */
      action: z.enum(["created", "restored"]),
      tasks: taskCounts,
      /** Members listed in the file who were not added: an import never adds other people. */
      skippedMembers: z.int(),
      /** Tasks whose assignee is not a member of the project, imported unassigned. */
      unassignedTasks: z.int(),
    }),
  ),
  /** Tasks written (created and updated) over all projects. */
  tasks: z.int(),
  /** The file's mail preferences were applied to the importer's (format 4 files carry them). */
  preferences: z.boolean(),
  skippedMembers: z.int(),
  unassignedTasks: z.int(),
});

export type ImportResult = z.infer<typeof importResult>;
