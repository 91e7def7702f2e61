import { A, useNavigate } from "@solidjs/router";
import { createSignal, For, Match, Show, Switch } from "solid-js";
import { ApiError } from "../api/http";
import { LIMITS } from "../api/types";
import { projectsStore } from "../stores/projects";
import { CharCount, tooLong } from "./Field";
import { PlusIcon } from "./Icons";

export function Sidebar(props: { id: string }) {
  const projects = projectsStore();
  const navigate = useNavigate();
  const [adding, setAdding] = createSignal(false);
  const [name, setName] = createSignal("");
  const [error, setError] = createSignal("");
  const [busy, setBusy] = createSignal(false);

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    const value = name().trim();
    if (!value) return setError("Enter a project name.");
    const long = tooLong(value, LIMITS.projectName);
    if (long) return setError(long);
    setBusy(true);
    try {
      const project = await projects.create(value);
      setName("");
      setAdding(false);
      setError("");
      navigate(`/projects/${project.id}`);
    } catch (err) {
      setError(err instanceof ApiError ? (err.fields.name ?? err.message) : "Could not create the project.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <nav id={props.id} class="sidebar" aria-label="Projects">
      <div class="sidebar-head">
        <h2>Projects</h2>
        <button
          type="button"
          class="icon-btn"
          aria-label="New project"
          aria-expanded={adding()}
          onClick={() => {
            setAdding(!adding());
            setError("");
          }}
        >
          <PlusIcon />
        </button>
      </div>
      <Show when={adding()}>
        <form class="stack-sm new-project" onSubmit={create} noValidate>
          <label for="new-project-name">Project name</label>
          <input
            id="new-project-name"
            value={name()}
            autofocus
            aria-invalid={error() ? true : undefined}
            aria-describedby={`${error() ? "new-project-error " : ""}new-project-count`}
            onInput={(e) => setName(e.currentTarget.value)}
          />
          <CharCount id="new-project-count" value={name()} max={LIMITS.projectName} />
          <Show when={error()}>
            <p id="new-project-error" class="field-error">
              {error()}
            </p>
          </Show>
          <div class="row">
            <button type="submit" class="btn btn-primary btn-small" disabled={busy()}>
              Create project
            </button>
            <button type="button" class="btn btn-small" onClick={() => setAdding(false)}>
              Cancel
            </button>
          </div>
        </form>
      </Show>
      <Switch>
        <Match when={projects.state() === "loading"}>
          <ul class="project-list" aria-busy="true">
            <li class="skeleton skeleton-line" />
            <li class="skeleton skeleton-line" />
          </ul>
        </Match>
        <Match when={projects.state() === "error"}>
          <p class="muted">
            Could not load projects.{" "}
            <button type="button" class="link" onClick={() => projects.load()}>
              Retry
            </button>
          </p>
        </Match>
        <Match when={projects.items.length === 0}>
          <p class="muted">No projects yet.</p>
        </Match>
        <Match when={true}>
          <ul class="project-list">
            <For each={projects.items.filter((project) => !project.archivedAt)}>
              {(project) => (
                <li>
                  <A href={`/projects/${project.id}`} activeClass="active" end={false}>
                    <span class="project-name">{project.name}</span>
                    <Show when={project.role !== "owner"}>
                      <span class="badge">{project.role}</span>
                    </Show>
                  </A>
                </li>
              )}
            </For>
          </ul>
          <Show when={projects.items.some((project) => project.archivedAt)}>
            <h3 class="sidebar-subhead" id="archived-projects-heading">
              Archived
            </h3>
            <ul class="project-list" aria-labelledby="archived-projects-heading">
              <For each={projects.items.filter((project) => project.archivedAt)}>
                {(project) => (
                  <li>
                    <A href={`/projects/${project.id}`} activeClass="active" end={false}>
                      <span class="project-name">{project.name}</span>
                      <span class="badge">archived</span>
                    </A>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </Match>
      </Switch>
      <div class="sidebar-foot">
        <A href="/calendar" activeClass="active">
          Calendar
        </A>
        <A href="/import/trello" activeClass="active">
          Import from Trello
        </A>
        <A href="/settings" activeClass="active">
          Account &amp; data
        </A>
      </div>
    </nav>
  );
}
