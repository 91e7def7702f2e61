// Project settings, for owners: invitations sent to addresses without an account, until they sign up
// with the link. Re-send makes a new link (the old one stops working); revoke ends it.
import { For, Show } from "solid-js";
import type { InvitationsStore } from "../stores/invitations";
import { errorToast, showToast } from "../stores/toast";

const day = (iso: string) => new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" });

export function PendingInvitations(props: { store: InvitationsStore }) {
  const act = async (run: () => Promise<void>, done: string, failed: string) => {
    try {
      await run();
      showToast(done, { kind: "success" });
    } catch (err) {
      errorToast(err, failed);
    }
  };
  return (
    <Show when={props.store.pending().length > 0}>
      <h3 id="pending-heading">Pending invitations</h3>
      <ul class="members" aria-labelledby="pending-heading">
        <For each={props.store.pending()}>
          {(invitation) => (
            <li class="member invitation">
              <div class="member-who">
                <strong>{invitation.email}</strong>
                <span class="muted">
                  {invitation.role} ·{" "}
                  {invitation.expired ? "link expired" : `link valid until ${day(invitation.expiresAt)}`}
                </span>
              </div>
              <div class="row">
                <button
                  type="button"
                  class="btn btn-small"
                  onClick={() =>
                    act(
                      () => props.store.resend(invitation.id),
                      `Invitation sent again to ${invitation.email}.`,
                      "Could not send the invitation again",
                    )
                  }
                >
                  Re-send<span class="visually-hidden"> the invitation to {invitation.email}</span>
                </button>
                <button
                  type="button"
                  class="btn btn-small"
                  onClick={() =>
                    act(
                      () => props.store.revoke(invitation.id),
                      `Invitation to ${invitation.email} revoked.`,
                      "Could not revoke the invitation",
                    )
                  }
                >
                  Revoke<span class="visually-hidden"> the invitation to {invitation.email}</span>
                </button>
              </div>
            </li>
          )}
        </For>
      </ul>
    </Show>
  );
}
