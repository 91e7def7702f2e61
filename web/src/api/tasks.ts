// Tasks: /api/tasks/*. Edits carry the version the user saw (If-Match), so a stale one gets 409.
import { json, request } from "./http";
import type { Page, Task, TaskInput } from "./types";

export const tasksApi = {
  tasks: (params: Record<string, string | undefined>, signal?: AbortSignal) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
    return request<Page<Task>>(`/api/tasks?${query}`, { signal });
  },
  task: (id: string) => request<Task>(`/api/tasks/${id}`),
  createTask: (input: TaskInput & { projectId: string; title: string; columnId?: string }) =>
    request<Task>("/api/tasks", json("POST", input)),
  updateTask: (id: string, input: TaskInput, version?: number) =>
    request<Task>(`/api/tasks/${id}`, {
      method: "PATCH",
      body: input,
      headers: version === undefined ? {} : { "If-Match": `"${version}"` },
    }),
  /** To a column by id, or to the first column of a status's kind. */
  moveTask: (id: string, status: string, position: number, columnId?: string) =>
    request<Task>(
      `/api/tasks/${id}/move`,
      json("POST", columnId ? { columnId, position } : { status, position }),
    ),
  archiveTask: (id: string) => request<Task>(`/api/tasks/${id}/archive`, { method: "POST" }),
  restoreTask: (id: string) => request<Task>(`/api/tasks/${id}/restore`, { method: "POST" }),
  deleteTask: (id: string, keepalive = false) =>
    request<void>(`/api/tasks/${id}`, { method: "DELETE", keepalive }),
};
