// Checklists, comments and activity of a task, and the board's per-task counts:
// /api/tasks/:id/{checklist,comments,activity}, /api/projects/:id/{task-counts,activity}.
import { json, request } from "./http";
import type { Activity, ActivityPage, ChecklistItem, Comment, TaskCounts } from "./types";

export const discussionApi = {
  checklist: (taskId: string) => request<{ items: ChecklistItem[] }>(`/api/tasks/${taskId}/checklist`),
  addItem: (taskId: string, text: string) =>
    request<ChecklistItem>(`/api/tasks/${taskId}/checklist`, json("POST", { text })),
  updateItem: (taskId: string, itemId: string, changes: { text?: string; done?: boolean }) =>
    request<ChecklistItem>(`/api/tasks/${taskId}/checklist/${itemId}`, json("PATCH", changes)),
  moveItem: (taskId: string, itemId: string, index: number) =>
    request<{ items: ChecklistItem[] }>(
      `/api/tasks/${taskId}/checklist/${itemId}/move`,
      json("POST", { index }),
    ),
  deleteItem: (taskId: string, itemId: string) =>
    request<void>(`/api/tasks/${taskId}/checklist/${itemId}`, { method: "DELETE" }),

  comments: (taskId: string) => request<{ items: Comment[] }>(`/api/tasks/${taskId}/comments`),
  addComment: (taskId: string, body: string) =>
    request<Comment>(`/api/tasks/${taskId}/comments`, json("POST", { body })),
  updateComment: (taskId: string, commentId: string, body: string) =>
    request<Comment>(`/api/tasks/${taskId}/comments/${commentId}`, json("PATCH", { body })),
  deleteComment: (taskId: string, commentId: string) =>
    request<void>(`/api/tasks/${taskId}/comments/${commentId}`, { method: "DELETE" }),

  taskActivity: (taskId: string, cursor?: string) =>
    request<ActivityPage>(`/api/tasks/${taskId}/activity?limit=20${cursor ? `&cursor=${cursor}` : ""}`),
  projectActivity: (projectId: string, cursor?: string) =>
    request<ActivityPage>(`/api/projects/${projectId}/activity?limit=30${cursor ? `&cursor=${cursor}` : ""}`),
  counts: (projectId: string) => request<{ items: TaskCounts[] }>(`/api/projects/${projectId}/task-counts`),
};

export type { Activity };
