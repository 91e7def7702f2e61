// The load of the three-node Swarm test's node loss (scripts/ci/swarm-test.sh --real): through one
// surviving node's proxy, WORKERS loops each creating a task (its acknowledged id recorded) and then
// listing the project, one request after the other, until SIGTERM. The caller writes the power cut's
// start and end (epoch ms: every process of the node gone) into --cut-file; the report counts the requests
// from the start on by outcome and says when the service was back to normal: the end of the last request
// after the start that failed or took longer than SLOW_MS. A request started before the end may have been
// in the lost node's API when it died (nginx retries no POST): such failures are counted apart
// (inFlightFailed); any other answer but 2xx and 503 is failedOtherwise. `verify` then checks, through
// another node, that every acknowledged task exists.
//   bun scripts/ci/swarm/node-loss-load.ts run --base https://10.77.0.11 --cut-file F --ready F --out report.json
//   bun scripts/ci/swarm/node-loss-load.ts verify --base https://10.77.0.13 --report report.json
import { request } from "../upgrade-load.ts";

const WORKERS = 4;
const SLOW_MS = 1000;
const PASSWORD = "a node loss load passphrase 7";

interface Sample {
  start: number;
  end: number;
  write: boolean;
  /** HTTP status, or 0: no answer (connection error, timeout) */
  status: number;
}

export interface NodeLossReport {
  email: string;
  projectId: string;
  cutAt: number;
  requests: number;
  writes: number;
  answered503: number;
  failedOtherwise: number;
  inFlightFailed: number;
  /** Load loops: each has at most one request in flight, so at most this many can die with the node. */
  workers: number;
  otherStatuses: Record<string, number>;
  recoveredSeconds: number;
  acknowledged: string[];
  errors: string[];
  lost?: number;
}

const option = (args: string[], name: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1] : undefined;
};

async function run(base: string, cutFile: string, readyFile: string): Promise<NodeLossReport> {
  const email = `node-loss-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const registered = await request(base, "POST", "/api/auth/register", undefined, {
    email,
    password: PASSWORD,
    name: "Node loss load",
  });
  if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
  const token = registered.body.accessToken as string;
  const project = await request(base, "POST", "/api/projects", token, { name: "Node loss" });
  if (project.status !== 201) throw new Error(`project: ${project.status}`);
  const projectId = project.body.id as string;

  const samples: Sample[] = [];
  const acknowledged: string[] = [];
  const errors: string[] = [];
  let running = true;
  const one = async (write: boolean, n: number) => {
    const start = Date.now();
    let status = 0;
    try {
      const res = write
        ? await request(base, "POST", "/api/tasks", token, { projectId, title: `node loss ${n}` })
        : await request(base, "GET", `/api/tasks?projectId=${projectId}&limit=20`, token);
      status = res.status;
      if (write && status === 201) acknowledged.push(res.body.id);
    } catch (error) {
      if (errors.length < 10) errors.push(String(error).slice(0, 200));
    }
    samples.push({ start, end: Date.now(), write, status });
  };
  const workers = Array.from({ length: WORKERS }, async (_, w) => {
    for (let n = w; running; n += WORKERS) {
      await one(true, n);
      if (running) await one(false, n);
    }
  });
  await Bun.write(readyFile, "ready\n");
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  running = false;
  await Promise.all(workers);

  const [cutAt = 0, cutDone = cutAt] = (await Bun.file(cutFile).text()).trim().split(/\s+/).map(Number);
  const after = samples.filter((s) => s.start >= cutAt);
  const bad = (s: Sample) => s.status < 200 || s.status > 299;
  const failed = (s: Sample) => bad(s) && s.status !== 503;
  const inFlight = samples.filter((s) => s.start < cutDone && s.end >= cutAt);
  const otherStatuses: Record<string, number> = {};
  for (const s of after.filter((s) => failed(s) && s.status !== 0))
    otherStatuses[s.status] = (otherStatuses[s.status] ?? 0) + 1;
  const disturbed = after.filter((s) => bad(s) || s.end - s.start > SLOW_MS);
  const lastDisturbed = Math.max(cutAt, ...disturbed.map((s) => s.end));
  return {
    email,
    projectId,
    cutAt,
    requests: after.length,
    writes: after.filter((s) => s.write).length,
    answered503: after.filter((s) => s.status === 503).length,
    failedOtherwise: after.filter((s) => s.start >= cutDone && failed(s)).length,
    inFlightFailed: inFlight.filter(failed).length,
    workers: WORKERS,
    otherStatuses,
    recoveredSeconds: (lastDisturbed - cutAt) / 1000,
    acknowledged,
    errors,
  };
}

/** How many acknowledged tasks the project no longer lists (every page, through `base`). */
async function lostWrites(base: string, report: NodeLossReport): Promise<number> {
  const login = await request(base, "POST", "/api/auth/login", undefined, {
    email: report.email,
    password: PASSWORD,
  });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  const seen = new Set<string>();
  let cursor: string | null = null;
  do {
    const page = await request(
      base,
      "GET",
      `/api/tasks?projectId=${report.projectId}&limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      login.body.accessToken,
    );
    if (page.status !== 200) throw new Error(`list: ${page.status}`);
    for (const task of page.body.items as { id: string }[]) seen.add(task.id);
    cursor = page.body.nextCursor;
  } while (cursor);
  return report.acknowledged.filter((id) => !seen.has(id)).length;
}

if (import.meta.main) {
  const [mode, ...args] = process.argv.slice(2);
  const base = option(args, "base");
  if (!base || (mode !== "run" && mode !== "verify")) {
    console.error(
      "usage: node-loss-load.ts run --base URL --cut-file F [--ready F] --out F | verify --base URL --report F",
    );
    process.exit(2);
  }
  if (mode === "run") {
    const report = await run(base, option(args, "cut-file") ?? "", option(args, "ready") ?? "/dev/null");
    await Bun.write(option(args, "out") ?? "/dev/stdout", JSON.stringify(report));
  } else {
    const file = option(args, "report") ?? "";
    const report = (await Bun.file(file).json()) as NodeLossReport;
    report.lost = await lostWrites(base, report);
    await Bun.write(file, JSON.stringify(report));
    console.log(report.lost);
  }
  process.exit(0);
}
