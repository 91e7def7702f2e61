// Project settings: rename, members (invite by e-mail, pending invitations, role, remove) for owners,
// delete with confirmation.
import { useNavigate } from "@solidjs/router";
import { createSignal, For, lazy, Show } from "solid-js";
import { LIMITS, type Role } from "../api/types";
import { applyApiError } from "../components/applyApiError";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { EMAIL_RE, Field, SelectField, TextareaField, tooLong } from "../components/Field";
import { PendingInvitations } from "../components/PendingInvitations";
import { createInvitationsStore } from "../stores/invitations";
import { useProject } from "../stores/project";
import { projectsStore } from "../stores/projects";
import { useSession } from "../stores/session";
import { errorToast, showToast } from "../stores/toast";

// Loaded with the settings page only when shown.
const LabelManager = lazy(() => import("../components/LabelManager"));

const ROLES: Role[] = ["owner", "editor", "viewer"];
const ROLE_HELP: Record<Role, string> = {
  owner: "manages members and can delete the project",
  editor: "creates and edits tasks",
  viewer: "reads only",
};

export default function ProjectSettings() {
  const ctx = useProject();
  const session = useSession();
  const projects = projectsStore();
  const navigate = useNavigate();
  const [name, setName] = createSignal(ctx.project().name);
  const [description, setDescription] = createSignal(ctx.project().description ?? "");
  const [generalErrors, setGeneralErrors] = createSignal<Record<string, string | undefined>>({});
  const [inviteErrors, setInviteErrors] = createSignal<Record<string, string>>({});
  // Controlled: form.reset() would pick the first option (owner), not the default.
  const [inviteEmail, setInviteEmail] = createSignal("");
  const [inviteRole, setInviteRole] = createSignal<Role>("editor");
  const invitations = createInvitationsStore(ctx.project().id, ctx.isOwner, () => ctx.members.refetch());
  const [confirm, setConfirm] = createSignal<
    null | { kind: "delete" } | { kind: "remove"; userId: string; name: string }
  >(null);

  const rename = async (e: SubmitEvent) => {
    e.preventDefault();
    const value = name().trim();
    const problems = {
      name: value ? tooLong(value, LIMITS.projectName) : "Enter a project name.",
      description: tooLong(description(), LIMITS.projectDescription),
    };
    setGeneralErrors(problems);
    if (problems.name || problems.description) return;
    try {
      await projects.rename(ctx.project().id, value, description());
      showToast("Project saved.", { kind: "success" });
    } catch (err) {
      applyApiError(err, { setErrors: setGeneralErrors, fallback: "Could not save the project" });
    }
  };

  const invite = async (e: SubmitEvent) => {
    e.preventDefault();
    const email = inviteEmail().trim();
    const role = inviteRole();
    if (!EMAIL_RE.test(email)) return setInviteErrors({ email: "Enter a valid email address." });
    setInviteErrors({});
    try {
      await invitations.invite(email, role);
      setInviteEmail("");
      setInviteRole("editor");
      // The server does not say whether the address has an account: neither does this.
      showToast(`Invited ${email} as ${role}.`, { kind: "success" });
    } catch (err) {
      applyApiError(err, {
        setErrors: setInviteErrors,
        fallback: "Could not send the invitation",
        byStatus: {
          409: { email: "Already a member." },
          // Too many invitations this hour: the server's sentence says when to try again.
          429: (error) => ({ email: error.message }),
        },
      });
    }
  };

  const changeRole = async (userId: string, role: Role) => {
    try {
      await ctx.members.changeRole(userId, role);
      showToast("Role updated.", { kind: "success" });
    } catch (err) {
      errorToast(err, "Could not change the role");
    } finally {
      // Our own role decides what this page offers: the projects list carries it.
      if (userId === session.user()?.id) void projects.load();
    }
  };

  const removeMember = async (userId: string) => {
    try {
      if (userId !== session.user()?.id) return await ctx.members.remove(userId);
      await ctx.members.leave(userId);
      await projects.load();
      navigate("/", { replace: true });
    } catch (err) {
      errorToast(err, "Could not remove the member");
    }
  };

  const [archiving, setArchiving] = createSignal(false);
  const toggleArchived = async () => {
    const archived = !ctx.project().archivedAt;
    setArchiving(true);
    try {
      await projects.setArchived(ctx.project().id, archived);
      showToast(archived ? "Project archived: it is read-only now." : "Project restored.", {
        kind: "success",
      });
    } catch (e) {
      errorToast(e, archived ? "Could not archive the project" : "Could not restore the project");
    } finally {
      setArchiving(false);
    }
  };

  const deleteProject = async () => {
    const { id, name } = ctx.project();
    try {
      navigate("/", { replace: true });
      await projects.remove(id);
      showToast(`Deleted project “${name}”.`, { kind: "success" });
    } catch {
      // projects.remove() restored the project and showed the error.
    }
  };

  return (
    <div class="settings">
      <section class="panel" aria-labelledby="general-heading">
        <h2 id="general-heading">General</h2>
        <Show
          when={ctx.isOwner()}
          fallback={
            <p class="muted">
              Only owners can rename or delete this project. Your role: {ctx.project().role}.
            </p>
          }
        >
          <form class="stack" onSubmit={rename} noValidate>
            <Field
              label="Name"
              name="name"
              value={name()}
              onInput={(e) => setName(e.currentTarget.value)}
              max={LIMITS.projectName}
              error={generalErrors().name}
              id="project-name"
            />
            <TextareaField
              label="Description"
              name="description"
              id="project-description"
              rows={2}
              value={description()}
              onInput={(e) => setDescription(e.currentTarget.value)}
              max={LIMITS.projectDescription}
              error={generalErrors().description}
            />
            <div class="row">
              <button type="submit" class="btn btn-primary">
                Save
              </button>
            </div>
          </form>
        </Show>
      </section>

      <section class="panel" aria-labelledby="members-heading">
        <h2 id="members-heading">Members</h2>
        <ul class="members">
          <For each={ctx.members.items()}>
            {(member) => (
              <li class="member">
                <div class="member-who">
                  <strong>{member.name}</strong>
                  <span class="muted">{member.email}</span>
                </div>
                <Show when={ctx.isOwner()} fallback={<span class="badge">{member.role}</span>}>
                  <label class="visually-hidden" for={`role-${member.userId}`}>
                    Role of {member.name}
                  </label>
                  <select
                    id={`role-${member.userId}`}
                    onChange={(e) => changeRole(member.userId, e.currentTarget.value as Role)}
                  >
                    <For each={ROLES}>
                      {(role) => (
                        <option value={role} selected={member.role === role}>
                          {role}
                        </option>
                      )}
                    </For>
                  </select>
                </Show>
                <Show when={ctx.isOwner() || member.userId === session.user()?.id}>
                  <button
                    type="button"
                    class="btn btn-small"
                    onClick={() => setConfirm({ kind: "remove", userId: member.userId, name: member.name })}
                  >
                    {member.userId === session.user()?.id ? "Leave" : "Remove"}
                    <span class="visually-hidden"> {member.name}</span>
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
        <Show when={ctx.isOwner()}>
          <form class="invite" onSubmit={invite} noValidate>
            <h3>Invite a member</h3>
            <div class="row row-wrap">
              <Field
                label="Email"
                name="email"
                type="email"
                id="invite-email"
                value={inviteEmail()}
                onInput={(e) => setInviteEmail(e.currentTarget.value)}
                error={inviteErrors().email}
              />
              <SelectField
                label="Role"
                name="role"
                id="invite-role"
                options={ROLES}
                value={inviteRole()}
                onChange={(e) => setInviteRole(e.currentTarget.value as Role)}
              />
              <button type="submit" class="btn btn-primary align-end">
                Invite
              </button>
            </div>
            <p class="hint">
              Someone with an account joins at once; anyone else gets an e-mail with a link to sign up, valid
              for 7 days.{" "}
              <For each={ROLES}>
                {(role, i) => (
                  <>
                    <strong>{role}</strong> {ROLE_HELP[role]}
                    {i() < ROLES.length - 1 ? "; " : "."}
                  </>
                )}
              </For>
            </p>
          </form>
          <PendingInvitations store={invitations} />
        </Show>
      </section>

      <LabelManager />

      <Show when={ctx.isOwner()}>
        <section class="panel" aria-labelledby="archive-heading">
          <h2 id="archive-heading">{ctx.project().archivedAt ? "Restore project" : "Archive project"}</h2>
          <p>
            {ctx.project().archivedAt
              ? "The project is archived: members can read it, nobody can change it. Restoring makes it editable again."
              : "Archiving keeps the project and its tasks, read-only, under “Archived” in the sidebar. You can restore it at any time."}
          </p>
          <button type="button" class="btn" disabled={archiving()} onClick={toggleArchived}>
            {ctx.project().archivedAt ? "Restore project" : "Archive project"}
          </button>
        </section>
        <section class="panel danger-zone" aria-labelledby="danger-heading">
          <h2 id="danger-heading">Delete project</h2>
          <p>Deletes the project and all of its tasks for every member. This cannot be undone.</p>
          <button type="button" class="btn btn-danger" onClick={() => setConfirm({ kind: "delete" })}>
            Delete project
          </button>
        </section>
      </Show>

      <Show when={confirm()} keyed>
        {(c) =>
          c.kind === "delete" ? (
            <ConfirmDialog
              title={`Delete “${ctx.project().name}”?`}
              message="All of its tasks are deleted too. This cannot be undone."
              confirmLabel="Delete project"
              onConfirm={deleteProject}
              onClose={() => setConfirm(null)}
            />
          ) : (
            <ConfirmDialog
              title={c.userId === session.user()?.id ? "Leave this project?" : `Remove ${c.name}?`}
              message={
                c.userId === session.user()?.id
                  ? "You lose access to its tasks."
                  : `${c.name} loses access to this project and its tasks.`
              }
              confirmLabel={c.userId === session.user()?.id ? "Leave" : "Remove"}
              onConfirm={() => removeMember(c.userId)}
              onClose={() => setConfirm(null)}
            />
          )
        }
      </Show>
    </div>
  );
}
