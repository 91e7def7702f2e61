// Grafana dashboards as code: the list of dashboards and the generator. `bun observability/grafana/dashboards.ts`
// writes dashboards/*.json; observability/test/static.test.ts fails when the committed JSON differs from
// what build() returns. Each dashboard is defined in definitions/, from the builders in lib/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { application } from "./definitions/application.ts";
import { infrastructure } from "./definitions/infrastructure.ts";
import { overview } from "./definitions/overview.ts";
import type { Dashboard } from "./lib/dashboard.ts";

const dashboards: Dashboard[] = [overview, application, infrastructure];

/** File name → JSON text; the file is named after the uid without its "taskplatform-" prefix. */
export function build(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of dashboards) {
    out[`${d.uid.replace(/^taskplatform-/, "")}.json`] = `${JSON.stringify(d, null, 2)}\n`;
  }
  return out;
}

if (import.meta.main) {
  const dir = join(import.meta.dir, "dashboards");
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(build())) {
    writeFileSync(join(dir, name), text);
    console.log(`wrote ${join(dir, name)}`);
  }
}
