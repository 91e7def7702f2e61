// Activity use cases: reading the history (members only; non-members get 404). Writing it is
// recordActivity (repository.ts), called inside the transactions of the task, checklist and comment
// services.
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import { notFound } from "../http/errors.ts";
import { requireRole } from "../projects/access.ts";
import * as tasks from "../tasks/repository.ts";
import * as activity from "./repository.ts";
import type { ActivityQuery } from "./schemas.ts";

export function createActivityService({ sql, metrics }: Deps) {
  return {
    async forProject(userId: string, projectId: string, query: ActivityQuery) {
      await requireRole(sql, projectId, userId, "viewer");
      return timed(metrics, "activity.list", () => activity.listActivity(sql, { projectId }, query));
    },

    async forTask(userId: string, taskId: string, query: ActivityQuery) {
      const found = await tasks.getTaskWithRole(sql, taskId, userId);
      if (!found?.role) throw notFound("task");
      return timed(metrics, "activity.list", () => activity.listActivity(sql, { taskId }, query));
    },
  };
}
