export type Role = "owner" | "editor" | "viewer";
export type Status = "todo" | "in_progress" | "done";
export type Priority = "low" | "medium" | "high" | "urgent";

export interface User {
  id: string;
  email: string;
  name: string;
  createdAt: string;
}
export interface Session {
  id: string;
  current: boolean;
  /** Parsed by the API from the user agent, e.g. "Firefox 128"; null when not recognised. */
  browser: string | null;
  os: string | null;
  userAgent: string;
  ip: string;
  createdAt: string;
  /** Sign-in or the last refresh. */
  lastUsedAt: string;
}
export interface Project {
  id: string;
  name: string;
  description: string | null;
  role: Role;
  createdAt: string;
  updatedAt: string;
}
export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
}
export interface Task {
  id: string;
  projectId: string;
  title: string;
  description: string | null;
  status: Status;
  priority: Priority;
  dueAt: string | null;
  labels: string[];
  assigneeId: string | null;
  position: number;
  version: number;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}
export type TaskInput = Partial<
  Pick<Task, "title" | "description" | "status" | "priority" | "dueAt" | "labels" | "assigneeId">
>;
export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}
export type EventName =
  | "task.created"
  | "task.updated"
  | "task.moved"
  | "task.deleted"
  | "project.created"
  | "project.updated"
  | "project.deleted"
  | "member.added"
  | "member.updated"
  | "member.removed"
  | "resync";
export interface LiveEvent {
  type: EventName;
  projectId?: string;
  task?: Task;
  project?: Project;
  member?: Member;
  actorId?: string;
}

/** The API's length limits, in characters (code points). */
export const LIMITS = {
  userName: 100,
  projectName: 100,
  projectDescription: 2000,
  taskTitle: 200,
  taskDescription: 10_000,
} as const;

export const STATUSES: Status[] = ["todo", "in_progress", "done"];
export const STATUS_LABEL: Record<Status, string> = {
  todo: "To do",
  in_progress: "In progress",
  done: "Done",
};
export const PRIORITIES: Priority[] = ["low", "medium", "high", "urgent"];
export const PRIORITY_LABEL: Record<Priority, string> = {
  low: "Low",
  medium: "Medium",
  high: "High",
  urgent: "Urgent",
};

/** What POST /api/import did (or, with dryRun, would do). */
export interface ImportResult {
  mode: "copy" | "restore";
  dryRun: boolean;
  projects: {
    id: string | null;
    name: string;
    action: "created" | "restored";
    tasks: { created: number; updated: number; deleted: number };
    skippedMembers: number;
    unassignedTasks: number;
  }[];
  tasks: number;
  skippedMembers: number;
  unassignedTasks: number;
}
