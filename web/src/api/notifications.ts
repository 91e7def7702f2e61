// The signed-in user's inbox: /api/notifications (newest first, paged), mark read; and watching a
// task's comments: /api/tasks/:id/watch.
import { request } from "./http";
import type { NotificationPage } from "./types";

export const notificationsApi = {
  notifications: (options: { cursor?: string; unread?: boolean } = {}) => {
    const query = new URLSearchParams({ limit: "30" });
    if (options.cursor) query.set("cursor", options.cursor);
    if (options.unread) query.set("unread", "true");
    return request<NotificationPage>(`/api/notifications?${query}`);
  },
  unreadCount: () => request<{ unread: number }>("/api/notifications/unread-count"),
  markRead: (id: string) => request<{ unread: number }>(`/api/notifications/${id}/read`, { method: "POST" }),
  markAllRead: () => request<{ unread: number }>("/api/notifications/read-all", { method: "POST" }),
  watching: (taskId: string) => request<{ watching: boolean }>(`/api/tasks/${taskId}/watch`),
  setWatching: (taskId: string, watching: boolean) =>
    request<{ watching: boolean }>(`/api/tasks/${taskId}/watch`, { method: watching ? "POST" : "DELETE" }),
};
