// Labels: SQL only, the queryable first. A label's name is what tasks.labels holds (migration 0007):
// renames and deletes rewrite those arrays in the same transaction, and every changed task gets a new
// version, like any task write.
import type { Queryable } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import type { LabelColor, Label as LabelResponse } from "./schemas.ts";

export type Label = WithDates<LabelResponse, "createdAt">;

const labelColumns = (db: Queryable) => db`id, project_id, name, color, created_at`;

export const listLabels = (db: Queryable, projectId: string) =>
  db<
    Label[]
  >`SELECT ${labelColumns(db)} FROM labels WHERE project_id = ${projectId} ORDER BY lower(name), name, id`;

export async function findLabel(db: Queryable, projectId: string, labelId: string) {
  const [label] = await db<Label[]>`
    SELECT ${labelColumns(db)} FROM labels WHERE id = ${labelId} AND project_id = ${projectId}`;
  return label;
}

export async function findLabelByName(db: Queryable, projectId: string, name: string) {
  const [label] = await db<Label[]>`
    SELECT ${labelColumns(db)} FROM labels WHERE project_id = ${projectId} AND name = ${name}`;
  return label;
}

/** The label, or undefined when the project already has one of this name. */
export async function insertLabel(db: Queryable, projectId: string, name: string, color: LabelColor) {
  const [label] = await db<Label[]>`
    INSERT INTO labels (project_id, name, color) VALUES (${projectId}, ${name}, ${color})
    ON CONFLICT (project_id, name) DO NOTHING RETURNING ${labelColumns(db)}`;
  return label;
}

export async function updateLabel(db: Queryable, labelId: string, name: string, color: LabelColor) {
  const [label] = await db<Label[]>`
    UPDATE labels SET name = ${name}, color = ${color} WHERE id = ${labelId} RETURNING ${labelColumns(db)}`;
  return label;
}

export const deleteLabel = (db: Queryable, labelId: string) => db`DELETE FROM labels WHERE id = ${labelId}`;

/** Renames the label on every task of the project that carries it; returns how many changed. */
export async function renameOnTasks(db: Queryable, projectId: string, from: string, to: string) {
  const rows = await db`
    UPDATE tasks SET labels = array_replace(labels, ${from}::text, ${to}::text), version = version + 1
    WHERE project_id = ${projectId} AND labels @> ARRAY[${from}]::text[] RETURNING id`;
  return rows.length;
}

/** Takes the label off every task of the project; returns how many changed. */
export async function removeFromTasks(db: Queryable, projectId: string, name: string) {
  const rows = await db`
    UPDATE tasks SET labels = array_remove(labels, ${name}::text), version = version + 1
    WHERE project_id = ${projectId} AND labels @> ARRAY[${name}]::text[] RETURNING id`;
  return rows.length;
}

/** Labels of the given names that the project does not have yet. */
export async function unknownNames(db: Queryable, projectId: string, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const known = await db<{ name: string }[]>`
    SELECT name FROM labels WHERE project_id = ${projectId} AND name = ANY(${names}::text[])`;
  const have = new Set(known.map((row) => row.name));
  return names.filter((name) => !have.has(name));
}

export const labelsNamed = (db: Queryable, projectId: string, names: string[]) =>
  db<
    Label[]
  >`SELECT ${labelColumns(db)} FROM labels WHERE project_id = ${projectId} AND name = ANY(${names}::text[])
              ORDER BY name`;
