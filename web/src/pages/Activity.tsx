// The project's activity feed: every recorded change, newest first, a page at a time (members only).
import { ActivityList } from "../components/task-dialog/Activity";
import { useProject } from "../stores/project";

export default function ActivityPage() {
  const ctx = useProject();
  return (
    <section class="panel" aria-labelledby="activity-page-heading">
      <h2 id="activity-page-heading">Activity</h2>
      <ActivityList projectId={ctx.project().id} showTask />
    </section>
  );
}
