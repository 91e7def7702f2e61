// Sample data shared by the web's component tests.
import type { Task } from "../src/api/types";

export const baseTask: Task = {
  id: "t1",
  projectId: "p1",
  title: "Ship it",
  description: "",
  status: "todo",
  columnId: "c1",
  priority: "high",
  dueAt: "2030-05-17T12:00:00.000Z",
  labels: ["release"],
  assigneeId: "u2",
  position: 1024,
  version: 1,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  completedAt: null,
  archivedAt: null,
  recurrence: null,
};
