// The project a page is in: its tasks and members stores, shared through context by the board, the
// list, the settings and the task dialog, and kept live by the event stream while it is open.
import { createContext, onCleanup, useContext } from "solid-js";
import { live } from "../api/events";
import type { Project, Status } from "../api/types";
import { type CountsStore, createCountsStore } from "./counts";
import { createLabelsStore, type LabelsStore } from "./labels";
import { createMembersStore, type MembersStore } from "./members";
import { createTasksStore, type TasksStore } from "./tasks";

/** What the task dialog opens: an existing task, or a new one (in a column). */
export interface DialogTarget {
  taskId?: string;
  status?: Status;
  /** A new task in this column (its kind is the status). */
  columnId?: string;
}

export interface ProjectContextValue {
  project: () => Project;
  canEdit: () => boolean;
  isOwner: () => boolean;
  tasks: TasksStore;
  members: MembersStore;
  /** Checklist progress and comment counts per task (absent in tests that do not need them). */
  counts?: CountsStore;
  labels: LabelsStore;
  openTask: (target: DialogTarget) => void;
}

export const ProjectContext = createContext<ProjectContextValue>();
export const useProject = () => {
  const value = useContext(ProjectContext);
  if (!value) throw new Error("useProject outside <ProjectLayout>");
  return value;
};

/**
 * Loads project `id`'s tasks and members and follows live events until the calling component is
 * disposed. Deletes still in their undo window are sent when the page is hidden or left.
 */
export function openProject(id: string): {
  tasks: TasksStore;
  members: MembersStore;
  counts: CountsStore;
  labels: LabelsStore;
} {
  const tasks = createTasksStore(id);
  void tasks.load();
  const counts = createCountsStore(id);
  void counts.load();
  const members = createMembersStore(id);
  const labels = createLabelsStore(id);
  const off = live.subscribe((event) => {
    tasks.apply(event);
    counts.apply(event);
    if (event.type.startsWith("member.") && event.projectId === id) members.refetch();
    if (event.type.startsWith("label.") && event.projectId === id) labels.refetch();
  });
  const flush = () => tasks.flush();
  window.addEventListener("pagehide", flush);
  onCleanup(() => {
    off();
    window.removeEventListener("pagehide", flush);
    tasks.flush();
  });
  return { tasks, members, counts, labels };
}
