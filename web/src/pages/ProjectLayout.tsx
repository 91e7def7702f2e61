// Frame of one project: tabs, the tasks store and members shared by board, list and dialog, the
// live subscription, and the task dialog.
import { A, useParams } from "@solidjs/router";
import {
  createContext,
  createEffect,
  createResource,
  createSignal,
  type JSX,
  lazy,
  Match,
  on,
  onCleanup,
  Show,
  Switch,
  useContext,
} from "solid-js";
import { api } from "../api/client";
import { live } from "../api/events";
import type { Member, Project, Status } from "../api/types";
import { BoardIcon, GearIcon, ListIcon } from "../components/Icons";
import { BoardSkeleton, Empty } from "../components/States";
import { projectsStore } from "../stores/projects";
import { createTasksStore, type TasksStore } from "../stores/tasks";

const TaskDialog = lazy(() => import("../components/TaskDialog"));

export interface DialogTarget {
  taskId?: string;
  status?: Status;
}

export interface ProjectContextValue {
  project: () => Project;
  canEdit: () => boolean;
  isOwner: () => boolean;
  tasks: TasksStore;
  members: () => Member[];
  refetchMembers: () => void;
  openTask: (target: DialogTarget) => void;
}

export const ProjectContext = createContext<ProjectContextValue>();
export const useProject = () => {
  const value = useContext(ProjectContext);
  if (!value) throw new Error("useProject outside <ProjectLayout>");
  return value;
};

export function ProjectLayout(props: { children?: JSX.Element }) {
  const params = useParams();
  const projects = projectsStore();
  const project = () => projects.byId(params.projectId ?? "");
  return (
    <Switch>
      <Match when={projects.state() === "loading" || projects.state() === "idle"}>
        <BoardSkeleton />
      </Match>
      <Match when={!project()}>
        <Empty title="Project not found">
          <p>It may have been deleted, or you are no longer a member.</p>
          <A href="/" class="btn">
            Back to your projects
          </A>
        </Empty>
      </Match>
      <Match when={project()?.id} keyed>
        {(id) => (
          <ProjectFrame id={id} project={() => project() as Project}>
            {props.children}
          </ProjectFrame>
        )}
      </Match>
    </Switch>
  );
}

function ProjectFrame(props: { id: string; project: () => Project; children?: JSX.Element }) {
  const tasks = createTasksStore(props.id);
  void tasks.load();
  const [members, { refetch }] = createResource(
    () => props.id,
    async (id) => (await api.members(id)).items,
    { initialValue: [] },
  );
  const off = live.subscribe((event) => {
    tasks.apply(event);
    if (event.type.startsWith("member.") && event.projectId === props.id) void refetch();
  });
  const flush = () => tasks.flush();
  window.addEventListener("pagehide", flush);
  onCleanup(() => {
    off();
    window.removeEventListener("pagehide", flush);
    tasks.flush();
  });

  const [dialog, setDialog] = createSignal<DialogTarget | null>(null);
  const value: ProjectContextValue = {
    project: props.project,
    canEdit: () => props.project().role !== "viewer",
    isOwner: () => props.project().role === "owner",
    tasks,
    members: () => members.latest ?? [],
    refetchMembers: () => void refetch(),
    openTask: (target) => setDialog(target),
  };
  createEffect(
    on(
      () => props.project().name,
      (name) => {
        document.title = `${name} · TaskPlatform`;
      },
    ),
  );
  onCleanup(() => {
    document.title = "TaskPlatform";
  });

  const base = () => `/projects/${props.id}`;
  return (
    <ProjectContext.Provider value={value}>
      <div class="project-head">
        <div>
          <h1>{props.project().name}</h1>
          <Show when={props.project().description}>
            <p class="muted project-desc">{props.project().description}</p>
          </Show>
        </div>
        <nav class="tabs" aria-label="Project views">
          <A href={base()} end activeClass="active">
            <BoardIcon /> Board
          </A>
          <A href={`${base()}/list`} activeClass="active">
            <ListIcon /> List
          </A>
          <A href={`${base()}/settings`} activeClass="active">
            <GearIcon /> Settings
          </A>
        </nav>
      </div>
      {props.children}
      <Show when={dialog()}>
        {(target) => <TaskDialog target={target()} onClose={() => setDialog(null)} />}
      </Show>
    </ProjectContext.Provider>
  );
}
