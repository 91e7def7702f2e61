// Applies pending migrations in one transaction under an advisory lock, so replicas starting together
// migrate exactly once, and a failing migration leaves the schema as it was.
import { migrations as bundled } from "../../migrations/index.ts";
import type { Sql } from "./client.ts";

/** Arbitrary constant shared by every TaskPlatform process: "TaskPlat" as a 64-bit number. */
const MIGRATION_LOCK_ID = 0x5461736b506c6174n;

export class MigrationError extends Error {}

export async function migrate(
  sql: Sql,
  migrations: ReadonlyArray<{ version: string; sql: string }> = bundled,
): Promise<string[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID.toString()}::bigint)`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
    const done = new Set(
      (await tx<{ version: string }[]>`SELECT version FROM schema_migrations`).map((row) => row.version),
    );
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      try {
        await tx.unsafe(migration.sql);
      } catch (error) {
        throw new MigrationError(`migration ${migration.version} failed: ${(error as Error).message}`);
      }
      await tx`INSERT INTO schema_migrations (version) VALUES (${migration.version})`;
      applied.push(migration.version);
    }
    return applied;
  });
}
