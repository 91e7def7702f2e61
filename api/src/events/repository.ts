// Which projects event-stream users belong to, and since when: read at every stream's start, after a
// gap, and every few seconds for all users of a process at once (never once per stream).
import type { Sql } from "../db/client.ts";

/** Project id → when the user joined it (ms, the clock stream ids start with). */
export type Memberships = Map<string, number>;

/** The memberships of each of `userIds`, in one query (users without projects map to an empty Map). */
export async function membershipsOf(sql: Sql, userIds: string[]): Promise<Map<string, Memberships>> {
  const byUser = new Map(userIds.map((id): [string, Memberships] => [id, new Map()]));
  if (userIds.length === 0) return byUser;
  const rows = await sql<{ userId: string; projectId: string; joinedMs: string }[]>`
    SELECT user_id, project_id, floor(extract(epoch FROM created_at) * 1000)::bigint AS joined_ms
    FROM project_members WHERE user_id = ANY(${userIds}::uuid[])`;
  for (const row of rows) byUser.get(row.userId)?.set(row.projectId, Number(row.joinedMs));
  return byUser;
}
