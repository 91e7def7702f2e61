// Keeps .github/workflows/ci.yml running exactly the suites of .ci/suites (what .ci/run runs).
//   bun .github/sync-suites.ts          rewrite the generated blocks of ci.yml from .ci/suites
//   bun .github/sync-suites.ts --check  exit 1 and list the differences instead (no writes)
//   … --suites FILE                      use FILE instead of .ci/suites
// Each suite becomes one step named "suite: <name>" whose `run:` is the suite's command, verbatim. Suites
// that need the runner's own Docker engine (the container stack test) go to the "stack" job, the others
// to the "suites" job (a Debian container). scripts/test/github.suite.ts runs driftProblems().
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface Suite {
  name: string;
  command: string;
}

export const SUITE_PREFIX = "suite: ";
export const GITHUB_ONLY_PREFIX = "github-only: ";
/** Run on GitHub even when .ci/suites does not list it (the issue asks for it with real images). */
export const STACK_TEST_COMMAND = "bash scripts/ci/stack-test.sh";
export const CONTAINER_JOB = "suites";
export const HOST_JOB = "stack";

/** .ci/suites as .ci/run reads it: `name|command`, blank lines and # comments skipped. */
export function parseSuites(text: string): Suite[] {
  const suites: Suite[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const bar = line.indexOf("|");
    if (bar < 0) suites.push({ name: line, command: "" });
    else suites.push({ name: line.slice(0, bar), command: line.slice(bar + 1) });
  }
  return suites;
}

/**
 * Suites that need a Docker engine on the host (not possible inside the Debian job container): the
 * container stack test, the Podman quick start after it (root on the host; it copies the images the
 * stack test left in Docker) and the three-node Swarm test (network namespaces, a bridge, three dockerd).
 */
export function isHostSuite(suite: Suite): boolean {
  return /scripts\/ci\/(stack-test|podman-quickstart|swarm-test)\.sh/.test(suite.command);
}

/** Each job's last setup step: suites run after it succeeded, and keep running after a failed suite. */
export const SETUP_STEP_IDS = { container: "install", host: "images" };

function step(name: string, command: string, indent: string, setupId: string): string {
  // JSON strings are valid YAML double-quoted scalars: any command survives verbatim.
  return [
    `${indent}- name: ${JSON.stringify(name)}`,
    `${indent}  if: \${{ !cancelled() && steps.${setupId}.outcome == 'success' }}`,
    `${indent}  run: ${JSON.stringify(command)}`,
  ].join("\n");
}

function renderBlock(suites: Suite[], host: boolean, indent: string): string {
  const picked = suites.filter((s) => isHostSuite(s) === host);
  const setupId = host ? SETUP_STEP_IDS.host : SETUP_STEP_IDS.container;
  const lines = picked.map((s) => step(`${SUITE_PREFIX}${s.name}`, s.command, indent, setupId));
  if (host && picked.length === 0) {
    lines.push(step(`${GITHUB_ONLY_PREFIX}container stack test`, STACK_TEST_COMMAND, indent, setupId));
  }
  return lines.join("\n\n");
}

const BLOCKS = [
  { start: "# >>> suites ", end: "# <<< suites", host: false },
  { start: "# >>> host suites ", end: "# <<< host suites", host: true },
];

/** ci.yml with its generated blocks rewritten from the suites. */
export function syncWorkflow(workflow: string, suites: Suite[]): string {
  let out = workflow;
  for (const block of BLOCKS) {
    const lines = out.split("\n");
    const start = lines.findIndex((l) => l.trimStart().startsWith(block.start));
    const end = lines.findIndex((l, i) => i > start && l.trim() === block.end);
    if (start < 0 || end < 0) throw new Error(`ci.yml lacks the markers "${block.start}…" / "${block.end}"`);
    const indent = lines[start].slice(0, lines[start].length - lines[start].trimStart().length);
    const body = renderBlock(suites, block.host, indent);
    // the end marker is indented like the step keys above it (yamllint's comments-indentation)
    const endLine = body ? `${indent}  ${block.end}` : `${indent}${block.end}`;
    out = [...lines.slice(0, start + 1), ...(body ? [body] : []), endLine, ...lines.slice(end + 1)].join(
      "\n",
    );
  }
  return out;
}

interface Step {
  name?: string;
  run?: string;
  uses?: string;
}
interface Workflow {
  jobs?: Record<string, { steps?: Step[] }>;
}

/**
 * What differs between ci.yml (parsed) and .ci/suites: missing or extra suite steps, a command that is
 * not the suite's, the wrong job, a different order. Empty when in sync.
 */
export function driftProblems(workflowText: string, suitesText: string): string[] {
  const suites = parseSuites(suitesText);
  const wf = Bun.YAML.parse(workflowText) as Workflow;
  const problems: string[] = [];
  const jobs = wf?.jobs ?? {};
  const found: { job: string; name: string; run: string }[] = [];
  const githubOnly: { job: string; name: string; run: string }[] = [];
  for (const [job, def] of Object.entries(jobs)) {
    for (const s of def?.steps ?? []) {
      const name = s.name ?? "";
      if (name.startsWith(SUITE_PREFIX)) {
        found.push({ job, name: name.slice(SUITE_PREFIX.length), run: s.run ?? "" });
      } else if (name.startsWith(GITHUB_ONLY_PREFIX)) {
        githubOnly.push({ job, name, run: s.run ?? "" });
      } else if (s.run !== undefined && suites.some((suite) => suite.command === s.run?.trim())) {
        problems.push(
          `job ${job}: step "${name}" runs a suite's command but is not named "${SUITE_PREFIX}…"`,
        );
      }
    }
  }
  for (const suite of suites) {
    const steps = found.filter((f) => f.name === suite.name);
    if (steps.length === 0) {
      problems.push(`suite "${suite.name}" (${suite.command}) is in .ci/suites but not in ci.yml`);
      continue;
    }
    if (steps.length > 1) problems.push(`suite "${suite.name}" appears ${steps.length} times in ci.yml`);
    for (const s of steps) {
      if (s.run !== suite.command) {
        problems.push(
          `suite "${suite.name}": ci.yml runs ${JSON.stringify(s.run)}, .ci/suites ${JSON.stringify(suite.command)}`,
        );
      }
      const want = isHostSuite(suite) ? HOST_JOB : CONTAINER_JOB;
      if (s.job !== want) problems.push(`suite "${suite.name}" runs in job ${s.job}, expected ${want}`);
    }
  }
  for (const f of found) {
    if (!suites.some((s) => s.name === f.name)) {
      problems.push(`ci.yml step "${SUITE_PREFIX}${f.name}" (job ${f.job}) is not in .ci/suites`);
    }
  }
  for (const job of [CONTAINER_JOB, HOST_JOB]) {
    const expected = suites.filter((s) => (job === HOST_JOB) === isHostSuite(s)).map((s) => s.name);
    const actual = found.filter((f) => f.job === job && expected.includes(f.name)).map((f) => f.name);
    if (actual.length === expected.length && actual.some((n, i) => n !== expected[i])) {
      problems.push(
        `job ${job}: suites run in the order ${actual.join(", ")}; .ci/suites has ${expected.join(", ")}`,
      );
    }
  }
  const stackListed = suites.some(isHostSuite);
  for (const g of githubOnly) {
    if (g.run !== STACK_TEST_COMMAND || g.job !== HOST_JOB || stackListed) {
      problems.push(
        `unexpected GitHub-only step "${g.name}" in job ${g.job} (only "${STACK_TEST_COMMAND}" in ${HOST_JOB}, and only while .ci/suites lacks it)`,
      );
    }
  }
  if (!stackListed && !githubOnly.some((g) => g.run === STACK_TEST_COMMAND && g.job === HOST_JOB)) {
    problems.push(`job ${HOST_JOB} does not run the container stack test (${STACK_TEST_COMMAND})`);
  }
  return problems;
}

if (import.meta.main) {
  const root = join(import.meta.dir, "..");
  const ciPath = join(root, ".github/workflows/ci.yml");
  // --suites FILE: sync against another copy of the list (e.g. `git show HEAD:.ci/suites`)
  const at = process.argv.indexOf("--suites");
  const suitesText = readFileSync(at > 0 ? process.argv[at + 1] : join(root, ".ci/suites"), "utf8");
  const workflow = readFileSync(ciPath, "utf8");
  if (process.argv.includes("--check")) {
    const problems = driftProblems(workflow, suitesText);
    for (const p of problems) console.error(`drift: ${p}`);
    if (problems.length) process.exit(1);
    console.log("ci.yml runs exactly the suites of .ci/suites");
  } else {
    const next = syncWorkflow(workflow, parseSuites(suitesText));
    writeFileSync(ciPath, next);
    const problems = driftProblems(next, suitesText);
    if (problems.length) {
      for (const p of problems) console.error(`drift: ${p}`);
      process.exit(1);
    }
    console.log(`ci.yml synced: ${parseSuites(suitesText).length} suites`);
  }
}
