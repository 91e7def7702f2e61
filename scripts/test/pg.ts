// Stops a PostgreSQL from api/test/support/services.ts reliably. As root, services.ts runs postgres under
// `runuser`, which does not pass SIGINT on, so stop() alone can hang: signal the postmaster directly.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { RunningService } from "../../api/test/support/services.ts";

export async function stopPostgres(pg: RunningService | undefined): Promise<void> {
  if (!pg) return;
  try {
    const res = Bun.spawnSync(["psql", "-X", "-At", "-d", pg.url, "-c", "SHOW data_directory"], {
      stderr: "ignore",
    });
    const dataDir = res.stdout.toString().trim();
    const pid = Number(readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
    if (pid > 0) process.kill(pid, "SIGINT");
  } catch {
    // already gone
  }
  await Promise.race([pg.stop(), Bun.sleep(10_000)]);
}
