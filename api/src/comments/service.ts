// Comment use cases. Every member comments, viewers included (discussing a task is close to reading
// it; editing the task stays with editors). Authors edit and delete their own comments; owners delete
// any. Mentions must name members of the project (422 otherwise). Each write records its activity in
// its transaction and publishes after the commit, with the task's new comment count.
import { recordActivity } from "../activity/repository.ts";
import { type Queryable, timed } from "../db/client.ts";
import type { Deps } from "../deps.ts";
import type { Publish } from "../events/publisher.ts";
import { ApiError, notFound } from "../http/errors.ts";
import { announce, type Created, followersOf, notify, watchTask } from "../notifications/service.ts";
import { assertTaskWritable, type Role } from "../projects/access.ts";
import * as tasks from "../tasks/repository.ts";
import * as comments from "./repository.ts";
import { mentionedIds } from "./schemas.ts";

/** The start of a text for the history, cut between characters (a cut surrogate pair is no JSON). */
const excerpt = (text: string) => {
  const chars = [...text];
  return chars.length > 140 ? `${chars.slice(0, 139).join("")}…` : text;
};

export function createCommentService({ sql, metrics }: Deps, publish: Publish) {
  /** The task and the caller's role; for a write (`write`), 409 while the task or project is archived. */
  const readTask = async (taskId: string, userId: string, write = true) => {
    const found = await tasks.getTaskWithRole(sql, taskId, userId);
    if (!found?.role) throw notFound("task");
    if (write) assertTaskWritable(found.task, found.projectArchivedAt);
    return { task: found.task, role: found.role as Role };
  };

  const checkedMentions = async (db: Queryable, projectId: string, body: string) => {
    const ids = mentionedIds(body);
    const strangers = await comments.nonMembers(db, projectId, ids);
    if (strangers.length > 0) {
      throw new ApiError(422, "validation_failed", "invalid body", [
        {
          path: "body",
          message: `mentions someone who is not a member of the project: ${strangers.join(", ")}`,
          code: "custom",
        },
      ]);
    }
    return ids;
  };

  /**
   * In the comment's transaction: `mentioned` people get "mentioned"; the task's assignee and watchers
   * who were not mentioned get "commented" (for a new comment only). The author is never told, and
   * starts watching the task on a new comment.
   */
  const notifyAbout = async (
    tx: Queryable,
    comment: { projectId: string; taskId: string; commentId: string; authorId: string; body: string },
    mentioned: string[],
    isNew: boolean,
  ): Promise<Created[]> => {
    const about = {
      projectId: comment.projectId,
      taskId: comment.taskId,
      actorId: comment.authorId,
      data: { commentId: comment.commentId, excerpt: excerpt(comment.body) },
    };
    const created = await notify(tx, { ...about, kind: "mentioned", recipients: mentioned });
    if (!isNew) return created;
    const followers = (await followersOf(tx, comment.taskId)).filter((id) => !mentioned.includes(id));
    await watchTask(tx, comment.taskId, comment.authorId);
    return [...created, ...(await notify(tx, { ...about, kind: "commented", recipients: followers }))];
  };

  const commentOf = async (db: Queryable, taskId: string, commentId: string) => {
    const comment = await comments.findComment(db, taskId, commentId);
    if (!comment) throw notFound("comment");
    return comment;
  };

  /** Inside the write's transaction: the comment as stored and the task's new comment count. */
  const written = async (tx: Queryable, taskId: string, commentId: string, notified: Created[]) => ({
    comment: await commentOf(tx, taskId, commentId),
    count: await comments.countComments(tx, taskId),
    notified,
  });

  /** After the commit: the comment to every open board, then the notifications the write produced. */
  const broadcast = async (
    type: "comment.created" | "comment.updated",
    projectId: string,
    actorId: string,
    { comment, count, notified }: Awaited<ReturnType<typeof written>>,
  ) => {
    await publish({ type, projectId, actorId, comment, commentCount: count });
    await announce(sql, publish, notified);
    return comment;
  };

  return {
    async list(userId: string, taskId: string) {
      await readTask(taskId, userId, false);
      return timed(metrics, "comments.list", () => comments.listComments(sql, taskId));
    },

    async add(userId: string, taskId: string, body: string) {
      const { task } = await readTask(taskId, userId);
      const result = await timed(metrics, "comments.add", () =>
        sql.begin(async (tx) => {
          const mentions = await checkedMentions(tx, task.projectId, body);
          const id = await comments.insertComment(tx, taskId, userId, body);
          await comments.setMentions(tx, id, mentions);
          await recordActivity(tx, {
            projectId: task.projectId,
            taskId,
            actorId: userId,
            kind: "comment.added",
            data: { commentId: id, excerpt: excerpt(body) },
          });
          const notified = await notifyAbout(
            tx,
            { projectId: task.projectId, taskId, commentId: id, authorId: userId, body },
            mentions,
            true,
          );
          return written(tx, taskId, id, notified);
        }),
      );
      return broadcast("comment.created", task.projectId, userId, result);
    },

    async update(userId: string, taskId: string, commentId: string, body: string) {
      const { task } = await readTask(taskId, userId);
      const result = await timed(metrics, "comments.update", () =>
        sql.begin(async (tx) => {
          const current = await commentOf(tx, taskId, commentId);
          if (current.authorId !== userId) {
            throw new ApiError(403, "forbidden", "only its author can edit a comment");
          }
          const mentions = await checkedMentions(tx, task.projectId, body);
          await comments.updateCommentBody(tx, commentId, body);
          await comments.setMentions(tx, commentId, mentions);
          // Only people the edit mentions for the first time hear of it.
          const added = mentions.filter((id) => !current.mentions.includes(id));
          const notified = await notifyAbout(
            tx,
            { projectId: task.projectId, taskId, commentId, authorId: userId, body },
            added,
            false,
          );
          await recordActivity(tx, {
            projectId: task.projectId,
            taskId,
            actorId: userId,
            kind: "comment.edited",
            data: { commentId, excerpt: excerpt(body) },
          });
          return written(tx, taskId, commentId, notified);
        }),
      );
      return broadcast("comment.updated", task.projectId, userId, result);
    },

    async remove(userId: string, taskId: string, commentId: string) {
      const { task, role } = await readTask(taskId, userId);
      const count = await timed(metrics, "comments.delete", () =>
        sql.begin(async (tx) => {
          const current = await commentOf(tx, taskId, commentId);
          if (current.authorId !== userId && role !== "owner") {
            throw new ApiError(403, "forbidden", "only its author or a project owner can delete a comment");
          }
          await comments.deleteComment(tx, commentId);
          await recordActivity(tx, {
            projectId: task.projectId,
            taskId,
            actorId: userId,
            kind: "comment.deleted",
            data: { commentId, excerpt: excerpt(current.body) },
          });
          return comments.countComments(tx, taskId);
        }),
      );
      await publish({
        type: "comment.deleted",
        projectId: task.projectId,
        actorId: userId,
        comment: { id: commentId, taskId },
        commentCount: count,
      });
    },
  };
}
