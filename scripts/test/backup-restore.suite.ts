// scripts/backup.sh and scripts/restore.sh (--local mode) against a real PostgreSQL.
// Run: bun test ./scripts/test/backup-restore.suite.ts
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningService, startPostgres } from "../../api/test/support/services.ts";
import { stopPostgres } from "./pg.ts";

const scripts = join(import.meta.dir, "..");
setDefaultTimeout(60_000);
let pg: RunningService;
let dir: string;
/** An attachments directory as the API leaves it: <projectId>/<attachmentId> files. */
let files: string;

function run(cmd: string[], env: Record<string, string> = {}) {
  const res = Bun.spawnSync(cmd, {
    env: { ...process.env, TP_ENV_FILE: "/nonexistent", BACKUP_METRICS_DIR: `${dir}-metrics`, ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: res.exitCode, out: res.stdout.toString(), err: res.stderr.toString() };
}

function psql(sql: string, url = pg.url): string {
  const res = run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]);
  if (res.code !== 0) throw new Error(`psql: ${res.err}`);
  return res.out;
}

/** Every row of the app tables, in a stable order: what must survive the round trip. */
function snapshot(url = pg.url): string {
  return psql(
    `SELECT 'm', version FROM schema_migrations UNION ALL SELECT 'p', row_to_json(p)::text FROM (SELECT * FROM projects ORDER BY id) p UNION ALL SELECT 't', row_to_json(t)::text FROM (SELECT * FROM tasks ORDER BY id) t ORDER BY 1, 2`,
    url,
  );
}

function backup(args: string[] = []) {
  return run(["bash", join(scripts, "backup.sh"), "--local", "--dbname", pg.url, "--dir", dir, ...args]);
}

function restore(file: string, args: string[] = ["--yes"]) {
  return run([
    "bash",
    join(scripts, "restore.sh"),
    "--local",
    "--dbname",
    pg.url,
    "--attachments",
    files,
    ...args,
    file,
  ]);
}

const PROJECT_DIR = "0b7c6f1e-1111-4c6e-9a43-000000000001";
const ATTACHMENT = (n: number) => `${PROJECT_DIR}/5d1c2b3a-0000-4000-8000-00000000000${n}`;

/** Every attachment file and its SHA-256, in a stable order. */
function filesSnapshot(): string {
  return readdirSync(files, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      return `${path.slice(files.length + 1)} ${new Bun.CryptoHasher("sha256").update(readFileSync(path)).digest("hex")}`;
    })
    .sort()
    .join("\n");
}

beforeAll(async () => {
  pg = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), "tp-backups-"));
  files = mkdtempSync(join(tmpdir(), "tp-attachment-files-"));
  mkdirSync(join(files, PROJECT_DIR));
  writeFileSync(join(files, ATTACHMENT(1)), crypto.getRandomValues(new Uint8Array(300_000)));
  writeFileSync(join(files, ATTACHMENT(2)), "plain text\n");
  psql(`
    CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
    INSERT INTO schema_migrations (version) VALUES ('0001_init'), ('0002_more');
    CREATE TABLE projects (id uuid PRIMARY KEY, name text NOT NULL, description text, created_at timestamptz NOT NULL);
    CREATE TABLE tasks (id bigserial PRIMARY KEY, project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      title text NOT NULL, labels text[] NOT NULL DEFAULT '{}', meta jsonb, due_at timestamptz, position double precision);
    CREATE INDEX tasks_project ON tasks (project_id, position);
    INSERT INTO projects VALUES
      ('0b7c6f1e-1111-4c6e-9a43-000000000001', 'Launch', 'ünïcödé — "quotes" and \\ backslash', '2026-01-02T03:04:05Z'),
      ('0b7c6f1e-1111-4c6e-9a43-000000000002', 'Empty', NULL, '2026-02-03T04:05:06Z');
    INSERT INTO tasks (project_id, title, labels, meta, due_at, position)
      SELECT '0b7c6f1e-1111-4c6e-9a43-000000000001', 'task ' || i, ARRAY['a', 'b' || (i % 3)],
             jsonb_build_object('i', i, 'tab', E'x\\ty'), CASE WHEN i % 2 = 0 THEN now() END, i / 7.0
      FROM generate_series(1, 500) AS i;
  `);
});

afterAll(async () => {
  await stopPostgres(pg);
  if (dir) for (const d of [dir, `${dir}-metrics`]) rmSync(d, { recursive: true, force: true });
  if (files) rmSync(files, { recursive: true, force: true });
});

describe("backup.sh", () => {
  test("writes a custom-format archive with a matching .sha256, and keeps only the newest N", async () => {
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = backup(["--keep", "2"]);
      expect(res.code, res.err).toBe(0);
      names.push(res.out.trim());
      if (i < 2) await Bun.sleep(1100); // names carry a per-second timestamp
    }
    for (const file of names) expect(file).toMatch(/taskplatform-.+-\d{8}T\d{6}Z\.dump$/);
    const kept = readdirSync(dir).sort();
    expect(kept.filter((f) => f.endsWith(".dump"))).toHaveLength(2);
    expect(kept.filter((f) => f.endsWith(".sha256"))).toHaveLength(2);
    expect(existsSync(names[0] as string)).toBe(false);
    const latest = names[2] as string;
    expect(readFileSync(latest).subarray(0, 5).toString()).toBe("PGDMP");
    const verify = Bun.spawnSync(["sha256sum", "-c", `${latest.split("/").pop()}.sha256`], { cwd: dir });
    expect(verify.exitCode).toBe(0);
    expect(run(["pg_restore", "--list", latest]).out).toContain("TABLE DATA public tasks");
    // the success, for the BackupTooOld alert (node-exporter's textfile collector)
    expect(readFileSync(`${dir}-metrics/taskplatform_backup_pg_dump.prom`, "utf8")).toMatch(
      /^taskplatform_backup_last_success_timestamp_seconds\{kind="pg_dump"\} \d{10}$/m,
    );
  });

  test("the attachments archive is written beside its database archive and rotated with it", async () => {
    const own = mkdtempSync(join(tmpdir(), "tp-backups-files-"));
    const made: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = run([
        "bash",
        join(scripts, "backup.sh"),
        "--local",
        "--dbname",
        pg.url,
        "--dir",
        own,
        "--keep",
        "1",
        "--attachments",
        files,
      ]);
      expect(res.code, res.err).toBe(0);
      made.push(res.out.trim());
      if (i === 0) await Bun.sleep(1100); // names carry a per-second timestamp
    }
    const latest = made[1] as string;
    expect(readdirSync(own).sort()).toEqual(
      [
        latest,
        `${latest}.sha256`,
        latest.replace(/\.dump$/, ".attachments.tar"),
        latest.replace(/\.dump$/, ".attachments.tar.sha256"),
      ]
        .map((path) => path.split("/").pop())
        .sort(),
    );
    const listing = run(["tar", "-tf", latest.replace(/\.dump$/, ".attachments.tar")]).out;
    expect(listing).toContain(`./${ATTACHMENT(1)}`);
    rmSync(own, { recursive: true, force: true });
  });

  test("fails clearly when the database is unreachable, leaving no partial file", () => {
    const before = readdirSync(dir).length;
    const res = run([
      "bash",
      join(scripts, "backup.sh"),
      "--local",
      "--dbname",
      "postgres://nobody@127.0.0.1:1/x",
      "--dir",
      dir,
    ]);
    expect(res.code).not.toBe(0);
    expect(res.err).toContain("pg_dump failed");
    expect(readdirSync(dir).length).toBe(before);
  });

  test("--help", () => {
    const res = run(["bash", join(scripts, "backup.sh"), "--help"]);
    expect(res.code).toBe(0);
    expect(res.out).toContain("Usage:");
  });
});

describe("restore.sh", () => {
  let good: string;
  let original: string;
  let originalFiles: string;

  beforeAll(() => {
    original = snapshot();
    originalFiles = filesSnapshot();
    const res = backup(["--keep", "0", "--attachments", files]);
    expect(res.code, res.err).toBe(0);
    good = res.out.trim();
  });

  test("backup → drop the data and change the attachment files → restore gives identical rows and files", () => {
    expect(existsSync(good.replace(/\.dump$/, ".attachments.tar"))).toBe(true);
    expect(existsSync(good.replace(/\.dump$/, ".attachments.tar.sha256"))).toBe(true);
    rmSync(join(files, ATTACHMENT(1)));
    writeFileSync(join(files, ATTACHMENT(2)), "changed after the backup\n");
    writeFileSync(join(files, ATTACHMENT(3)), "uploaded after the backup\n");
    expect(filesSnapshot()).not.toBe(originalFiles);
    psql(
      "DROP TABLE tasks; DELETE FROM projects; INSERT INTO schema_migrations (version) VALUES ('junk'); CREATE TABLE stray (x int);",
    );
    expect(snapshot.bind(null)).toThrow();
    const res = restore(good);
    expect(res.code, res.err).toBe(0);
    expect(snapshot()).toBe(original);
    expect(psql("SELECT count(*) FROM tasks")).toBe("500\n");
    // the schema was replaced, not merged: objects created after the backup are gone
    expect(psql("SELECT to_regclass('public.stray') IS NULL")).toBe("t\n");
    // indexes and sequences came back too
    expect(psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'tasks_project'")).toBe("1\n");
    psql(
      "INSERT INTO tasks (project_id, title) VALUES ('0b7c6f1e-1111-4c6e-9a43-000000000002', 'after restore')",
    );
    psql("DELETE FROM tasks WHERE title = 'after restore'");
    expect(filesSnapshot()).toBe(originalFiles);
  });

  test("a corrupt or hostile attachments archive is refused before the database or a file is touched", () => {
    const tar = good.replace(/\.dump$/, ".attachments.tar");
    const saved = readFileSync(tar);
    writeFileSync(join(files, ATTACHMENT(3)), "new since the backup\n");
    const before = filesSnapshot();
    truncateSync(tar, Math.floor(saved.length / 2));
    const corrupt = restore(good);
    expect(corrupt.code).not.toBe(0);
    expect(corrupt.err).toContain("REFUSED: checksum mismatch");

    // A tar (with a matching checksum) that would write outside the directory.
    const evil = mkdtempSync(join(tmpdir(), "tp-evil-"));
    writeFileSync(join(evil, "x"), "escaped");
    expect(run(["tar", "-C", evil, "-cf", tar, "--transform", "s,^x,../escaped,", "x"]).code).toBe(0);
    writeFileSync(`${tar}.sha256`, `${run(["sha256sum", tar]).out.split(" ")[0]}  ${tar.split("/").pop()}\n`);
    const hostile = restore(good);
    expect(hostile.code).not.toBe(0);
    expect(hostile.err).toContain("absolute paths or '..'");
    expect(snapshot()).toBe(original);
    expect(filesSnapshot()).toBe(before);
    rmSync(evil, { recursive: true, force: true });

    writeFileSync(tar, saved);
    writeFileSync(`${tar}.sha256`, `${run(["sha256sum", tar]).out.split(" ")[0]}  ${tar.split("/").pop()}\n`);
    expect(restore(good).code).toBe(0);
    expect(filesSnapshot()).toBe(originalFiles);
  });

  test("a truncated backup is refused by its checksum and the live data is untouched", () => {
    const cut = join(dir, "truncated.dump");
    copyFileSync(good, cut);
    copyFileSync(`${good}.sha256`, `${cut}.sha256`);
    writeFileSync(`${cut}.sha256`, readFileSync(`${good}.sha256`, "utf8").replace(/\S+$/m, "truncated.dump"));
    truncateSync(cut, Math.floor(readFileSync(good).length / 2));
    const res = restore(cut);
    expect(res.code).not.toBe(0);
    expect(res.err).toContain("REFUSED: checksum mismatch");
    expect(snapshot()).toBe(original);
  });

  test("a truncated backup without checksum (--skip-checksum) fails and is rolled back", () => {
    const cut = join(dir, "truncated-nosum.dump");
    copyFileSync(good, cut);
    truncateSync(cut, Math.floor(readFileSync(good).length * 0.7));
    const res = restore(cut, ["--yes", "--skip-checksum"]);
    expect(res.code).not.toBe(0);
    expect(res.err).toMatch(/REFUSED|rolled back/);
    expect(snapshot()).toBe(original);
  });

  test("a file without a checksum is refused unless --skip-checksum", () => {
    const copy = join(dir, "nosum.dump");
    copyFileSync(good, copy);
    const res = restore(copy);
    expect(res.code).not.toBe(0);
    expect(res.err).toContain("REFUSED: no checksum file");
    expect(snapshot()).toBe(original);
  });

  test("a foreign file (not an archive) is refused", () => {
    const junk = join(dir, "junk.dump");
    writeFileSync(junk, "this is not a pg_dump archive\n".repeat(100));
    const sum = run(["sha256sum", junk]).out.split(" ")[0];
    writeFileSync(`${junk}.sha256`, `${sum}  junk.dump\n`);
    const res = restore(junk);
    expect(res.code).not.toBe(0);
    expect(res.err).toContain("REFUSED");
    expect(res.err).toContain("not a readable pg_dump archive");
    expect(snapshot()).toBe(original);
  });

  test("an archive of some other database is refused", () => {
    const other = pg.url.replace(/\/[^/]*$/, "/other");
    psql("CREATE DATABASE other");
    psql("CREATE TABLE customers (id int); INSERT INTO customers VALUES (1)", other);
    const res = run([
      "bash",
      join(scripts, "backup.sh"),
      "--local",
      "--dbname",
      other,
      "--dir",
      join(dir, "other"),
    ]);
    expect(res.code, res.err).toBe(0);
    const refused = restore(res.out.trim());
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain("not of a TaskPlatform database");
    expect(snapshot()).toBe(original);
  });

  test("an archive whose restore fails half-way is rolled back completely", () => {
    // The archive also has a schema "extra"; the target already has one, so CREATE SCHEMA fails after the
    // public schema was dropped inside the transaction.
    const src = pg.url.replace(/\/[^/]*$/, "/conflicting");
    psql("CREATE DATABASE conflicting");
    psql(
      "CREATE TABLE schema_migrations (version text PRIMARY KEY); INSERT INTO schema_migrations VALUES ('0001'); CREATE SCHEMA extra; CREATE TABLE extra.t (x int);",
      src,
    );
    const made = run([
      "bash",
      join(scripts, "backup.sh"),
      "--local",
      "--dbname",
      src,
      "--dir",
      join(dir, "conflicting"),
    ]);
    expect(made.code, made.err).toBe(0);
    psql("CREATE SCHEMA extra");
    const res = restore(made.out.trim());
    expect(res.code).not.toBe(0);
    expect(res.err).toContain("rolled back");
    expect(snapshot()).toBe(original);
    psql("DROP SCHEMA extra");
  });

  test("without a terminal it asks for --yes instead of restoring", () => {
    const res = restore(good, []);
    expect(res.code).not.toBe(0);
    expect(res.err).toContain("--yes");
    expect(snapshot()).toBe(original);
  });
});
