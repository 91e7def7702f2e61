// RTO per GB of point-in-time recovery: a PostgreSQL 15 with pgBackRest (scripts/test/pitr-cluster.ts) gets
// a generated table of PITR_BENCH_MB megabytes (default 256), a full backup (scripts/backup.sh --pitr-only),
// then loses its data directory and is brought back by scripts/restore.sh --to latest. Prints the database
// size, backup and restore times and the restore time extrapolated per GB.
//   bun bench/pitr.ts            PITR_BENCH_MB=1024 bun bench/pitr.ts
import { startArchivingPostgres } from "../scripts/test/pitr-cluster.ts";

const megabytes = Number(process.env.PITR_BENCH_MB ?? 256);
const db = await startArchivingPostgres();
try {
  // ~1 KB rows of incompressible-ish text, like task descriptions and comments
  db.psql(`CREATE TABLE schema_migrations (version text PRIMARY KEY)`);
  db.psql(
    `CREATE TABLE filler AS SELECT i AS id, md5(i::text) || repeat(md5((i * 7)::text), 30) AS body FROM generate_series(1, ${megabytes * 1000}) AS i`,
  );
  db.psql("CREATE INDEX ON filler (id)");
  const bytes = Number(db.psql("SELECT pg_database_size(current_database())"));
  const gb = bytes / 1024 ** 3;

  let started = performance.now();
  const backup = db.backup(["--pitr-only", "--type", "full"]);
  if (backup.code !== 0) throw new Error(`backup failed: ${backup.err}`);
  const backupSeconds = (performance.now() - started) / 1000;

  const lsn = db.psql(
    "INSERT INTO filler VALUES (0, 'written after the backup') RETURNING pg_current_wal_lsn()",
  );
  db.psql("SELECT pg_switch_wal()");
  await db.waitArchived(lsn, Date.now(), 60_000);
  await db.loseDataDirectory();

  started = performance.now();
  const restore = db.restore(["--yes", "--to", "latest"]);
  if (restore.code !== 0) throw new Error(`restore failed: ${restore.err}`);
  const restoreSeconds = (performance.now() - started) / 1000;
  if (db.psql("SELECT body FROM filler WHERE id = 0") !== "written after the backup")
    throw new Error("the row written after the backup is missing");

  console.log(
    `pitr bench: database ${(bytes / 1024 ** 2).toFixed(0)} MB; full backup ${backupSeconds.toFixed(1)} s; ` +
      `restore after losing the data directory ${restoreSeconds.toFixed(1)} s ` +
      `(≈ ${(restoreSeconds / gb).toFixed(0)} s per GB, ${(backupSeconds / gb).toFixed(0)} s per GB to back up)`,
  );
} finally {
  await db.stop();
}
