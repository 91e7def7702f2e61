// Frame of one project: heading, tabs and the task dialog around the page, with the project's
// stores (stores/project.ts) provided to the board, list, settings and dialog.
import { A, useParams, useSearchParams } from "@solidjs/router";
import {
  createEffect,
  createSignal,
  type JSX,
  lazy,
  Match,
  on,
  onCleanup,
  Show,
  Suspense,
  Switch,
} from "solid-js";
import type { Project } from "../api/types";
import { ActivityIcon, ArchiveIcon, BoardIcon, CalendarIcon, GearIcon, ListIcon } from "../components/Icons";
import { BoardSkeleton, Empty } from "../components/States";
import { type DialogTarget, openProject, ProjectContext, type ProjectContextValue } from "../stores/project";
import { projectsStore } from "../stores/projects";
import { showToast } from "../stores/toast";

const TaskDialog = lazy(() => import("../components/task-dialog/TaskDialog"));

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
  const { tasks, members, counts, labels } = openProject(props.id);
  const [dialog, setDialog] = createSignal<DialogTarget | null>(null);
  const value: ProjectContextValue = {
    project: props.project,
    // An archived project is read-only for everyone until an owner restores it (settings).
    canEdit: () => props.project().role !== "viewer" && !props.project().archivedAt,
    isOwner: () => props.project().role === "owner",
    tasks,
    members,
    counts,
    labels,
    openTask: (target) => setDialog(target),
  };
  // `?task=<id>` (a notification's link) opens the task's dialog once the board's tasks are in.
  const [search, setSearch] = useSearchParams();
  createEffect(
    on([() => search.task, tasks.state], ([taskId, state]) => {
      if (typeof taskId !== "string" || !taskId || state !== "ready") return;
      setSearch({ task: undefined }, { replace: true });
      if (tasks.byId(taskId)) setDialog({ taskId });
      else showToast("This task is archived or no longer exists.", { kind: "error" });
    }),
  );
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
          <A href={`${base()}/calendar`} activeClass="active">
            <CalendarIcon /> Calendar
          </A>
          <A href={`${base()}/activity`} activeClass="active">
            <ActivityIcon /> Activity
          </A>
          <A href={`${base()}/archived`} activeClass="active">
            <ArchiveIcon /> Archived
          </A>
          <A href={`${base()}/settings`} activeClass="active">
            <GearIcon /> Settings
          </A>
        </nav>
      </div>
      <Show when={props.project().archivedAt}>
        <p class="notice" role="status">
          This project is archived: it is read-only until an owner restores it in Settings.
        </p>
      </Show>
      {props.children}
      {/* Its own boundary: the dialog's chunk loading the first time leaves the page in place (the app's
          boundary would swap the whole page for "Loading" and back, losing the focused card). */}
      <Suspense>
        <Show when={dialog()}>
          {(target) => <TaskDialog target={target()} onClose={() => setDialog(null)} />}
        </Show>
      </Suspense>
    </ProjectContext.Provider>
  );
}
