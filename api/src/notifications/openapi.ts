// The notification and watch routes as OpenAPI operations (assembled by ../openapi.ts).
import type { Operation } from "../http/operation.ts";
import { notificationPage, notificationQuery, unreadCount, watchState } from "./schemas.ts";

export const notificationOperations: Operation[] = [
  {
    tag: "notifications",
    method: "get",
    path: "/api/notifications",
    summary: "The signed-in user's notifications, newest first, with the unread count",
    auth: true,
    query: notificationQuery,
    response: notificationPage,
  },
  {
    tag: "notifications",
    method: "get",
    path: "/api/notifications/unread-count",
    summary: "How many of the user's notifications are unread",
    auth: true,
    response: unreadCount,
  },
  {
    tag: "notifications",
    method: "post",
    path: "/api/notifications/read-all",
    summary: "Mark every notification read (the user's streams get notification.read)",
    auth: true,
    response: unreadCount,
  },
  {
    tag: "notifications",
    method: "post",
    path: "/api/notifications/{id}/read",
    summary: "Mark one of one's notifications read (another user's: 404)",
    auth: true,
    response: unreadCount,
  },
  {
    tag: "notifications",
    method: "get",
    path: "/api/tasks/{id}/watch",
    summary: "Whether the user watches the task (hears of its comments)",
    auth: true,
    response: watchState,
  },
  {
    tag: "notifications",
    method: "post",
    path: "/api/tasks/{id}/watch",
    summary: "Watch a task (any member); commenting watches it too",
    auth: true,
    response: watchState,
  },
  {
    tag: "notifications",
    method: "delete",
    path: "/api/tasks/{id}/watch",
    summary: "Stop watching a task",
    auth: true,
    response: watchState,
  },
];
