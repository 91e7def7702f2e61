// Realistic data, fast: users, projects and memberships from small arrays, tasks generated inside
// PostgreSQL (one INSERT … SELECT over generate_series, so 100,000 rows take seconds, not minutes).
// Runs after the API has applied its migrations, against the project's own schema and indexes.
import { SQL } from "bun";

export interface SeedOptions {
  users: number;
  projects: number;
  tasks: number;
}

export interface Seeded {
  /** The benchmark user (signs in through the real login endpoint). */
  email: string;
  password: string;
  /** Every seeded user's credentials (for the login benchmark). */
  credentials: { email: string; password: string }[];
  /** Projects the benchmark user can edit. */
  projectIds: string[];
  /** A shuffled sample of tasks in those projects, for update and move. */
  taskIds: string[];
  taskCount: number;
  seconds: number;
}

export const BENCH_PASSWORD = "bench-Correct-Horse-2026";
// The same argon2id parameters as api/src/auth/passwords.ts.
const ARGON2 = { algorithm: "argon2id", memoryCost: 19_456, timeCost: 2 } as const;

const VERBS = [
  "Fix",
  "Add",
  "Update",
  "Review",
  "Refactor",
  "Document",
  "Test",
  "Investigate",
  "Plan",
  "Ship",
];
const NOUNS = [
  "deploy pipeline",
  "invoice export",
  "login form",
  "weekly report",
  "cache layer",
  "search results",
  "mobile layout",
  "billing page",
  "onboarding flow",
  "CSV export",
  "code review checklist",
  "release notes",
  "API pagination",
  "error messages",
  "dark mode",
];
const SENTENCES = [
  "Customers reported this after the last release.",
  "Check the logs from staging before changing anything.",
  "Pair with the design team on the final wording.",
  "Needs a migration; coordinate with the on-call engineer.",
  "Blocked until the billing provider answers our ticket.",
  "Add tests for the edge cases we found in review.",
  "Keep the old behaviour behind a flag for one release.",
  "Measure before and after; attach the numbers here.",
];
const LABELS = ["bug", "feature", "frontend", "backend", "docs", "ops", "security", "performance", "ux"];

const sqlArray = (values: string[]) =>
  `ARRAY[${values.map((v) => `'${v.replaceAll("'", "''")}'`).join(",")}]`;

export async function seed(databaseUrl: string, options: SeedOptions): Promise<Seeded> {
  const started = performance.now();
  const db = new SQL(databaseUrl, { max: 2 });
  try {
    const hash = await Bun.password.hash(BENCH_PASSWORD, ARGON2);
    const credentials = Array.from({ length: options.users }, (_, i) => ({
      email: `bench${String(i + 1).padStart(2, "0")}@example.com`,
      password: BENCH_PASSWORD,
    }));
    await db`INSERT INTO users (email, name, password_hash)
      SELECT e, 'Bench User ' || n, ${hash}
      FROM unnest(${db.array(
        credentials.map((c) => c.email),
        "text",
      )}::text[]) WITH ORDINALITY AS t(e, n)`;
    await db.unsafe(`INSERT INTO projects (name, description)
      SELECT 'Project ' || lpad(g::text, 2, '0'), 'Benchmark project ' || g || ': planning, delivery and support work.'
      FROM generate_series(1, ${options.projects}) g`);

    // Each project has an owner and three other members; user 1 (the benchmark user) is an owner or
    // editor of the first 20 projects (a busy person in a mid-sized team).
    await db.unsafe(`
      WITH u AS (SELECT array_agg(id ORDER BY email) AS ids FROM users),
           p AS (SELECT id, row_number() OVER (ORDER BY name) AS n FROM projects),
           m AS (
             SELECT p.id AS project_id, u.ids[1 + ((p.n - 1 + k * 7) % ${options.users})] AS user_id,
                    (CASE WHEN k = 0 THEN 'owner' WHEN k = 3 THEN 'viewer' ELSE 'editor' END)::member_role AS role
             FROM p, u, generate_series(0, 3) k
             UNION ALL
             SELECT p.id, u.ids[1], (CASE WHEN p.n % 3 = 0 THEN 'owner' ELSE 'editor' END)::member_role
             FROM p, u WHERE p.n <= 20
           )
      INSERT INTO project_members (project_id, user_id, role)
      SELECT DISTINCT ON (project_id, user_id) project_id, user_id, role FROM m
      ORDER BY project_id, user_id, role DESC`);

    // Tasks: 40 % todo, 25 % in progress, 35 % done; 0–3 labels; every task has a due date within
    // 60 days of today except done ones (half of those have none); titles and descriptions are made of
    // the words the search benchmark looks for.
    await db.unsafe(`
      WITH p AS (SELECT array_agg(id ORDER BY name) AS ids FROM projects),
           u AS (SELECT array_agg(id ORDER BY email) AS ids FROM users),
           g AS (SELECT g, (g * 7919) % 100 AS r FROM generate_series(1, ${options.tasks}) g)
      INSERT INTO tasks (project_id, title, description, status, priority, due_at, labels, assignee_id,
                         position, created_at, updated_at, completed_at)
      SELECT p.ids[1 + g % ${options.projects}],
             (${sqlArray(VERBS)})[1 + g % ${VERBS.length}] || ' ' || (${sqlArray(NOUNS)})[1 + (g / 7) % ${NOUNS.length}] || ' #' || g,
             (${sqlArray(SENTENCES)})[1 + g % ${SENTENCES.length}] || ' ' || (${sqlArray(SENTENCES)})[1 + (g / 3) % ${SENTENCES.length}],
             (CASE WHEN r < 40 THEN 'todo' WHEN r < 65 THEN 'in_progress' ELSE 'done' END)::task_status,
             (CASE WHEN g % 10 < 3 THEN 'low' WHEN g % 10 < 7 THEN 'medium' WHEN g % 10 < 9 THEN 'high' ELSE 'urgent' END)::task_priority,
             CASE WHEN r >= 65 AND g % 2 = 0 THEN NULL
                  ELSE date_trunc('hour', now()) + ((g * 37) % 120 - 60) * interval '1 day' + (g % 9) * interval '1 hour' END,
             (${sqlArray(LABELS)})[1 + g % ${LABELS.length} : g % ${LABELS.length} + (g / 5) % 4],
             CASE WHEN g % 4 = 0 THEN NULL ELSE u.ids[1 + (g / 11) % ${options.users}] END,
             g * 1024.0,
             now() - ((g * 13) % 365) * interval '1 day',
             now() - ((g * 5) % 30) * interval '1 day',
             CASE WHEN r >= 65 THEN now() - ((g * 5) % 30) * interval '1 day' END
      FROM g, p, u`);
    await db.unsafe("VACUUM ANALYZE users, projects, project_members, tasks");

    const [user] = await db`SELECT id FROM users WHERE email = ${credentials[0]?.email}`;
    const projects: { id: string }[] = await db`
      SELECT project_id AS id FROM project_members
      WHERE user_id = ${user.id} AND role IN ('owner', 'editor') ORDER BY project_id`;
    const projectIds = projects.map((p) => p.id);
    const tasks: { id: string }[] = await db`
      SELECT id FROM tasks WHERE project_id = ANY(${db.array(projectIds, "uuid")}::uuid[])
      ORDER BY md5(id::text) LIMIT 5000`;
    const [{ count }] = await db`SELECT count(*)::int AS count FROM tasks`;
    return {
      email: credentials[0]?.email ?? "",
      password: BENCH_PASSWORD,
      credentials,
      projectIds,
      taskIds: tasks.map((t) => t.id),
      taskCount: count,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await db.close();
  }
}
