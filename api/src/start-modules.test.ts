// What a replica loads at start: features it may never use (the Trello import, export and import)
// are imported with their first request, which keeps ~3 MB out of every idle replica's RSS
// (docs/benchmarks.md, third pass), and rrule with the first recurrence rule (~10 ms of CPU at start);
// prom-client's index, which loads @opentelemetry/api, is not imported at all (metrics.ts).
// Their own suites prove they still work when loaded that way.
import { expect, test } from "bun:test";

test("the API's start modules load no Trello import, no export/import handlers, no tar-stream, no rrule, no OpenTelemetry", () => {
  const script = `
    await import(${JSON.stringify(`${import.meta.dir}/app.ts`)});
    await import(${JSON.stringify(`${import.meta.dir}/runtime.ts`)});
    console.log(JSON.stringify(Object.keys(require.cache)));`;
  const run = Bun.spawnSync([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
  expect(run.exitCode, run.stderr.toString()).toBe(0);
  const loaded: string[] = JSON.parse(run.stdout.toString().trim().split("\n").pop() ?? "[]");
  expect(loaded.some((path) => path.endsWith("/src/app.ts"))).toBe(true);
  const lazy = ["/trello/service.ts", "/trello/schemas.ts", "/transfer/handlers.ts", "/transfer/schemas.ts"];
  expect(
    loaded.filter(
      (path) =>
        lazy.some((end) => path.endsWith(end)) ||
        path.includes("/tar-stream/") ||
        path.includes("/rrule/") ||
        path.includes("/@opentelemetry/"),
    ),
  ).toEqual([]);
});
