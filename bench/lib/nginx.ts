// nginx with the project's configuration, started by the proxy suite's own harness
// (proxy/test/harness.ts renders proxy/nginx.conf, conf.d/, snippets/ and entrypoint.sh's runtime.conf
// with only ports and paths changed). One benchmark-specific change on top, applied by a reload:
// the per-client limit_req rates are lifted, because every benchmark request comes from 127.0.0.1 and
// the shipped 50 r/s (API) and 20 r/min (auth) would turn the run into a 429 benchmark. The limit_req
// zones are still evaluated on every request, so their cost stays in the numbers.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateCert, type RunningNginx, spaDist, startNginx } from "../../proxy/test/harness.ts";

export interface BenchNginx extends RunningNginx {
  url: string;
  /** The rate-limit lines that were changed, for the report. */
  changes: string[];
}

export async function startBenchNginx(upstreams: string[]): Promise<BenchNginx> {
  const cert = generateCert();
  const dist = spaDist();
  const nginx = await startNginx({
    upstreams,
    distDir: dist.dir,
    certFile: cert.certFile,
    keyFile: cert.keyFile,
  });
  const confPath = join(nginx.dir, "nginx.conf");
  const changes: string[] = [];
  // tp_auth is in nginx.conf, tp_api in the runtime.conf entrypoint.sh renders (PROXY_API_RATE).
  for (const file of [confPath, join(nginx.dir, "run", "runtime.conf")]) {
    const original = readFileSync(file, "utf8");
    const patched = original.replace(/(limit_req_zone [^;]*rate=)(\d+r\/[sm])/g, (_all, head, rate) => {
      changes.push(`${rate} → 100000r/s`);
      return `${head}100000r/s`;
    });
    writeFileSync(file, patched);
  }
  if (changes.length < 2)
    throw new Error(`expected the tp_auth and tp_api limit_req_zones, changed: ${changes}`);
  const reload = Bun.spawnSync(["nginx", "-p", nginx.dir, "-c", confPath, "-s", "reload"], {
    env: { ...process.env, OPENSSL_CONF: join(nginx.dir, "openssl.cnf") },
    stderr: "pipe",
  });
  if (reload.exitCode !== 0) throw new Error(`nginx reload failed: ${reload.stderr}`);
  // The reload replaces the workers asynchronously; wait until old ones are gone.
  await Bun.sleep(1000);
  return { ...nginx, url: `https://127.0.0.1:${nginx.httpsPort}`, changes };
}
