// The board's and the list's per-task badges: checklist progress and comment count, for every task of
// a project, in one query after the membership check (no query per task).
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { requireRole } from "../projects/access.ts";
import { projectTaskCounts } from "./repository.ts";

export const countsOfProject =
  ({ sql, metrics }: Deps) =>
  async (userId: string, projectId: string) => {
    await requireRole(sql, projectId, userId, "viewer");
    return timed(metrics, "tasks.counts", () => projectTaskCounts(sql, projectId));
  };
