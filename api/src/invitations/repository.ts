// invitations: SQL only; every function takes the queryable first (the pool or the caller's transaction).
import type { Queryable } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import type { Role } from "../projects/access.ts";
import type { Invitation } from "./schemas.ts";

export type InvitationRow = WithDates<Invitation, "createdAt" | "sentAt" | "expiresAt">;

/** The project's pending invitations (or the one with this id), oldest first. */
export async function listPending(
  sql: Queryable,
  projectId: string,
  invitationId?: string,
): Promise<InvitationRow[]> {
  return sql<InvitationRow[]>`
    SELECT i.id, i.project_id, i.email, i.role, u.name AS invited_by_name, i.created_at, i.sent_at,
      i.expires_at, i.expires_at <= now() AS expired
    FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
    WHERE i.project_id = ${projectId} AND i.accepted_at IS NULL AND i.revoked_at IS NULL
      AND (${invitationId ?? null}::uuid IS NULL OR i.id = ${invitationId ?? null}::uuid)
    ORDER BY i.created_at, i.id`;
}

export async function findPending(
  sql: Queryable,
  projectId: string,
  invitationId: string,
): Promise<InvitationRow | undefined> {
  return (await listPending(sql, projectId, invitationId))[0];
}

/**
 * Creates the pending invitation of this address, or renews the one there is (role, inviter, a new
 * nonce and token hash, a new expiry: older links die). Returns its id.
 */
export async function upsertPending(
  tx: Queryable,
  row: {
    id: string;
    projectId: string;
    email: string;
    role: Role;
    invitedBy: string;
    nonce: string;
    hashOf: (id: string) => string;
    ttlSeconds: number;
  },
): Promise<string> {
  const [existing] = await tx<{ id: string }[]>`
    SELECT id FROM invitations
    WHERE project_id = ${row.projectId} AND email = ${row.email} AND accepted_at IS NULL AND revoked_at IS NULL
    FOR UPDATE`;
  const id = existing?.id ?? row.id;
  const hash = row.hashOf(id);
  if (existing) {
    await tx`
      UPDATE invitations SET role = ${row.role}, invited_by = ${row.invitedBy}, token_nonce = ${row.nonce},
        token_hash = ${hash}, sent_at = now(), expires_at = now() + make_interval(secs => ${row.ttlSeconds})
      WHERE id = ${id}`;
  } else {
    await tx`
      INSERT INTO invitations (id, project_id, email, role, invited_by, token_nonce, token_hash, expires_at)
      VALUES (${id}, ${row.projectId}, ${row.email}, ${row.role}, ${row.invitedBy}, ${row.nonce}, ${hash},
              now() + make_interval(secs => ${row.ttlSeconds}))`;
  }
  return id;
}

/** A new nonce, token hash and expiry for a pending invitation of this project. False if there is none. */
export async function renew(
  tx: Queryable,
  projectId: string,
  invitationId: string,
  nonce: string,
  hash: string,
  ttlSeconds: number,
): Promise<boolean> {
  const rows = await tx`
    UPDATE invitations SET token_nonce = ${nonce}, token_hash = ${hash}, sent_at = now(),
      expires_at = now() + make_interval(secs => ${ttlSeconds})
    WHERE id = ${invitationId} AND project_id = ${projectId} AND accepted_at IS NULL AND revoked_at IS NULL
    RETURNING id`;
  return rows.length === 1;
}

export async function revoke(sql: Queryable, projectId: string, invitationId: string): Promise<boolean> {
  const rows = await sql`
    UPDATE invitations SET revoked_at = now()
    WHERE id = ${invitationId} AND project_id = ${projectId} AND accepted_at IS NULL AND revoked_at IS NULL
    RETURNING id`;
  return rows.length === 1;
}

/** What the invitation mail needs, if the invitation still wants this nonce's link mailed. */
export interface MailTarget {
  id: string;
  email: string;
  projectName: string;
  invitedByName: string | null;
  expiresAt: Date;
}

export async function findMailTarget(
  sql: Queryable,
  invitationId: string,
  nonce: string,
): Promise<MailTarget | undefined> {
  const [row] = await sql<MailTarget[]>`
    SELECT i.id, i.email, p.name AS project_name, u.name AS invited_by_name, i.expires_at
    FROM invitations i JOIN projects p ON p.id = i.project_id LEFT JOIN users u ON u.id = i.invited_by
    WHERE i.id = ${invitationId} AND i.token_nonce = ${nonce}
      AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()`;
  return row;
}

/** A pending, unexpired invitation by its token's hash. */
export async function findByTokenHash(
  sql: Queryable,
  hash: string,
): Promise<
  | {
      id: string;
      projectId: string;
      email: string;
      role: Role;
      projectName: string;
      invitedByName: string | null;
    }
  | undefined
> {
  const [row] = await sql<
    {
      id: string;
      projectId: string;
      email: string;
      role: Role;
      projectName: string;
      invitedByName: string | null;
    }[]
  >`
    SELECT i.id, i.project_id, i.email, i.role, p.name AS project_name, u.name AS invited_by_name
    FROM invitations i JOIN projects p ON p.id = i.project_id LEFT JOIN users u ON u.id = i.invited_by
    WHERE i.token_hash = ${hash} AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()`;
  return row;
}

/** Marks the invitation accepted by `userId` (once: a second use finds nothing). */
export async function markAccepted(
  tx: Queryable,
  hash: string,
  userId: string,
): Promise<{ id: string; projectId: string; role: Role; email: string } | undefined> {
  const [row] = await tx<{ id: string; projectId: string; role: Role; email: string }[]>`
    UPDATE invitations SET accepted_at = now(), accepted_by = ${userId}
    WHERE token_hash = ${hash} AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
    RETURNING id, project_id, role, email`;
  return row;
}
