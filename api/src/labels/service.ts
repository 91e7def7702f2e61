// Label use cases. Viewers read a project's labels, owners manage them; editors create them by tagging
// a task with a new name (tasks/service.ts). A rename or delete rewrites every task carrying the label
// in the same transaction, with the project locked first like every task write (which also bumps
// tasks_version: cached task lists are not served stale). Events go out after the commit.
import { timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { requireRole, requireWritable } from "../projects/access.ts";
import { lockProject } from "../tasks/repository.ts";
import * as labels from "./repository.ts";
import { type CreateLabel, DEFAULT_LABEL_COLOR, type UpdateLabel } from "./schemas.ts";

const nameTaken = () => new ApiError(409, "label_exists", "the project already has a label of this name");

export function createLabelService(deps: Deps, publish: Publish) {
  const { sql, metrics } = deps;

  return {
    async list(userId: string, projectId: string) {
      await requireRole(sql, projectId, userId, "viewer");
      return timed(metrics, "labels.list", () => labels.listLabels(sql, projectId));
    },

    async create(userId: string, projectId: string, input: CreateLabel) {
      await requireWritable(sql, projectId, userId, "owner");
      const label = await timed(metrics, "labels.create", () =>
        labels.insertLabel(sql, projectId, input.name, input.color ?? DEFAULT_LABEL_COLOR),
      );
      if (!label) throw nameTaken();
      await publish({ type: "label.created", projectId, actorId: userId, label });
      return label;
    },

    async update(userId: string, projectId: string, labelId: string, changes: UpdateLabel) {
      await requireWritable(sql, projectId, userId, "owner");
      const result = await timed(metrics, "labels.update", () =>
        sql.begin(async (tx) => {
          await lockProject(tx, projectId);
          const current = await labels.findLabel(tx, projectId, labelId);
          if (!current) throw notFound("label");
          const name = changes.name ?? current.name;
          if (name !== current.name && (await labels.findLabelByName(tx, projectId, name))) throw nameTaken();
          const label = await labels.updateLabel(tx, labelId, name, changes.color ?? current.color);
          if (!label) throw notFound("label");
          const tasks =
            name === current.name ? 0 : await labels.renameOnTasks(tx, projectId, current.name, name);
          return { label, previousName: current.name, tasks };
        }),
      );
      await publish({ type: "label.updated", projectId, actorId: userId, ...result });
      return result.label;
    },

    async remove(userId: string, projectId: string, labelId: string) {
      await requireWritable(sql, projectId, userId, "owner");
      const result = await timed(metrics, "labels.delete", () =>
        sql.begin(async (tx) => {
          await lockProject(tx, projectId);
          const current = await labels.findLabel(tx, projectId, labelId);
          if (!current) throw notFound("label");
          const tasks = await labels.removeFromTasks(tx, projectId, current.name);
          await labels.deleteLabel(tx, labelId);
          return { label: { id: current.id, name: current.name }, tasks };
        }),
      );
      await publish({ type: "label.deleted", projectId, actorId: userId, ...result });
    },
  };
}
