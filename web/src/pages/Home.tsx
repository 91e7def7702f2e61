import { A, Navigate } from "@solidjs/router";
import { Match, Switch } from "solid-js";
import { BoardSkeleton, Empty, ErrorView } from "../components/States";
import { projectsStore } from "../stores/projects";

export default function Home() {
  const projects = projectsStore();
  return (
    <Switch>
      <Match when={projects.state() === "error"}>
        <ErrorView error={projects.error()} retry={() => projects.load()} />
      </Match>
      <Match when={projects.state() !== "ready"}>
        <BoardSkeleton />
      </Match>
      <Match when={projects.items.find((project) => !project.archivedAt) ?? projects.items[0]}>
        {(first) => <Navigate href={`/projects/${first().id}`} />}
      </Match>
      <Match when={true}>
        <Empty title="Welcome to TaskPlatform">
          <p>
            Create your first project with the + button next to “Projects”,{" "}
            <A href="/import/trello">import a board from Trello</A>, or import a backup from Account &amp;
            data.
          </p>
        </Empty>
      </Match>
    </Switch>
  );
}
