// Projects of the signed-in user: one store for the sidebar and every page, kept live by events.
import { createSignal } from "solid-js";
import { createStore, produce, reconcile } from "solid-js/store";
import { live } from "../api/events";
import { projectsApi } from "../api/projects";
import type { LiveEvent, Project } from "../api/types";
import { errorToast } from "./toast";

export interface ProjectsStore {
  items: Project[];
  state: () => "idle" | "loading" | "ready" | "error";
  error: () => unknown;
  load(): Promise<void>;
  byId(id: string): Project | undefined;
  create(name: string, description?: string): Promise<Project>;
  rename(id: string, name: string, description?: string): Promise<void>;
  remove(id: string): Promise<void>;
  /** Archives (true) or restores (false): an archived project is read-only, listed under Archived. */
  setArchived(id: string, archived: boolean): Promise<void>;
  apply(event: LiveEvent): void;
  clear(): void;
}

const byName = (a: Project, b: Project) => a.name.localeCompare(b.name);

export function createProjectsStore(
  client = projectsApi,
  onMembershipChange: () => void = () => {},
): ProjectsStore {
  const [items, setItems] = createStore<Project[]>([]);
  const [state, setState] = createSignal<"idle" | "loading" | "ready" | "error">("idle");
  const [error, setError] = createSignal<unknown>();

  const upsert = (project: Project) =>
    setItems(
      produce((list) => {
        const index = list.findIndex((p) => p.id === project.id);
        if (index >= 0) list[index] = { ...list[index], ...project, role: project.role ?? list[index]?.role };
        else list.push(project);
        list.sort(byName);
      }),
    );
  const drop = (id: string) => setItems((list) => list.filter((p) => p.id !== id));

  const store: ProjectsStore = {
    items,
    state,
    error,
    async load() {
      if (state() !== "ready") setState("loading");
      try {
        const page = await client.projects();
        const before = items
          .map((p) => p.id)
          .sort()
          .join();
        const after = page.items
          .map((p) => p.id)
          .sort()
          .join();
        if (state() === "ready" && before !== after) onMembershipChange();
        setItems(reconcile([...page.items].sort(byName), { key: "id" }));
        setState("ready");
      } catch (e) {
        setError(e);
        setState("error");
      }
    },
    byId: (id) => items.find((p) => p.id === id),
    async create(name, description) {
      const project = await client.createProject(description ? { name, description } : { name });
      upsert({ ...project, role: project.role ?? "owner" });
      onMembershipChange();
      return project;
    },
    async rename(id, name, description) {
      const before = items.find((p) => p.id === id);
      if (!before) return;
      upsert({ ...before, name, description: description ?? before.description });
      try {
        upsert(await client.updateProject(id, description === undefined ? { name } : { name, description }));
      } catch (e) {
        upsert(before);
        throw e;
      }
    },
    async setArchived(id, archived) {
      const before = items.find((p) => p.id === id);
      if (!before) return;
      const project = await (archived ? client.archiveProject(id) : client.restoreProject(id));
      upsert({ ...project, role: before.role });
    },
    async remove(id) {
      const before = items.find((p) => p.id === id);
      drop(id);
      try {
        await client.deleteProject(id);
      } catch (e) {
        if (before) upsert(before);
        errorToast(e, "Could not delete the project");
        throw e;
      }
    },
    apply(event) {
      switch (event.type) {
        case "project.created":
        case "member.added":
        case "member.removed":
        case "member.updated":
        case "resync":
          // Our role or membership may have changed: the list endpoint knows.
          void store.load();
          break;
        case "project.updated":
          if (event.project && items.some((p) => p.id === event.project?.id)) upsert(event.project);
          break;
        case "project.archived":
        case "project.restored": {
          // The event carries the actor's role: keep ours.
          const mine = items.find((p) => p.id === event.project.id);
          if (mine) upsert({ ...event.project, role: mine.role });
          break;
        }
        case "project.deleted":
          if (event.projectId) drop(event.projectId);
          break;
      }
    },
    clear() {
      setItems([]);
      setState("idle");
    },
  };
  return store;
}

let shared: ProjectsStore | undefined;
export function projectsStore(): ProjectsStore {
  if (!shared) {
    // The event stream filters by the memberships it saw when it opened: reopen it when they change.
    const store = createProjectsStore(projectsApi, () => live.reconnect());
    live.subscribe((event) => store.apply(event));
    shared = store;
  }
  return shared;
}
