// Users repository: SQL only, `sql` passed in.
import type { Queryable } from "../db/client.ts";
import type { WithDates } from "../json-types.ts";
import type { User } from "./schemas.ts";

/** A user as read from PostgreSQL: the response type (with a Date) and the password hash. */
export type UserRow = WithDates<User, "createdAt"> & { passwordHash: string };

export type PublicUser = Omit<UserRow, "passwordHash">;

export const toPublicUser = ({ id, email, name, createdAt }: UserRow | PublicUser): PublicUser => ({
  id,
  email,
  name,
  createdAt,
});

export async function findUserByEmail(sql: Queryable, email: string): Promise<UserRow | undefined> {
  const [row] = await sql<
    UserRow[]
  >`SELECT id, email, name, password_hash, created_at FROM users WHERE email = ${email}`;
  return row;
}

export async function findUserById(sql: Queryable, id: string): Promise<UserRow | undefined> {
  const [row] = await sql<
    UserRow[]
  >`SELECT id, email, name, password_hash, created_at FROM users WHERE id = ${id}`;
  return row;
}

export async function insertUser(
  sql: Queryable,
  user: { id: string; email: string; name: string; passwordHash: string },
): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`
    INSERT INTO users (id, email, name, password_hash) VALUES (${user.id}, ${user.email}, ${user.name}, ${user.passwordHash})
    ON CONFLICT (email) DO NOTHING
    RETURNING id, email, name, password_hash, created_at`;
  return row;
}

export async function updatePasswordHash(
  sql: Queryable,
  userId: string,
  passwordHash: string,
): Promise<void> {
  await sql`UPDATE users SET password_hash = ${passwordHash}, updated_at = now() WHERE id = ${userId}`;
}
