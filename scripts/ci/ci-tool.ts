// Small helpers of the CI shell scripts (scripts/ci/stack-test.sh and its steps, podman-quickstart.sh), in
// place of inline Python. Run: bun scripts/ci/ci-tool.ts COMMAND [ARGS]
//   free-port          a free TCP port on 127.0.0.1
//   services [FILE]    one line per compose service: "name image build|-" (image "-" when none; FILE "-" or
//                      none: compose YAML on stdin, e.g. `docker-compose config`)
//   json KEY           the top-level KEY of the JSON document on stdin (nothing when it is not JSON)
//   timeline T0        per container, seconds from T0 (epoch seconds) to its start, sorted; stdin has
//                      "service startedAt" lines (docker inspect's RFC 3339 times, nanoseconds allowed)
import { createServer } from "node:net";

type Service = { image?: string; build?: unknown } | null;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

async function readInput(file?: string): Promise<string> {
  return !file || file === "-" ? await Bun.stdin.text() : await Bun.file(file).text();
}

function services(yaml: string): string[] {
  const doc = Bun.YAML.parse(yaml) as { services?: Record<string, Service> };
  return Object.entries(doc.services ?? {}).map(
    ([name, s]) => `${name} ${s?.image || "-"} ${s?.build ? "build" : "-"}`,
  );
}

function json(text: string, key: string): string {
  try {
    const value = (JSON.parse(text) as Record<string, unknown>)[key];
    return value === undefined ? "" : String(value);
  } catch {
    return "";
  }
}

// docker's StartedAt has nanoseconds; Date.parse takes milliseconds
const epoch = (time: string) => Date.parse(time.replace(/(\.\d{3})\d*/, "$1")) / 1000;

function timeline(lines: string, t0: number): string[] {
  const rows = lines
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((parts) => parts.length >= 2)
    .map(([name, started]) => ({ name: name as string, start: epoch(started as string) - t0 }))
    .sort((a, b) => a.start - b.start);
  return [
    `  ${"service".padEnd(20)} ${"started".padStart(8)}`,
    ...rows.map((r) => `  ${r.name.padEnd(20)} ${r.start.toFixed(0).padStart(7)}s`),
  ];
}

const [command, arg] = process.argv.slice(2);
switch (command) {
  case "free-port":
    console.log(await freePort());
    break;
  case "services":
    console.log(services(await readInput(arg)).join("\n"));
    break;
  case "json":
    console.log(json(await readInput(), arg ?? ""));
    break;
  case "timeline":
    console.log(timeline(await readInput(), Number(arg)).join("\n"));
    break;
  default:
    console.error("usage: bun scripts/ci/ci-tool.ts free-port | services [FILE] | json KEY | timeline T0");
    process.exit(2);
}
