// Local processes for the live observability suite: Debian's Prometheus, Alertmanager, exporters and
// nginx, each on a free loopback port, stopped (and their temporary directories removed) by stopAll().
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Proc {
  name: string;
  proc: ReturnType<typeof Bun.spawn>;
  output(): string;
}

const running: Proc[] = [];
const dirs: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function spawn(name: string, cmd: string[], env: Record<string, string> = {}): Proc {
  let output = "";
  const proc = Bun.spawn(cmd, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe" });
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  void collect(proc.stdout as ReadableStream<Uint8Array>);
  void collect(proc.stderr as ReadableStream<Uint8Array>);
  process.once("exit", () => proc.kill("SIGKILL"));
  const p = { name, proc, output: () => output };
  running.push(p);
  return p;
}

/** Waits until `url` answers 2xx, failing early (with the process's output) if the process exits. */
export async function waitHttp(p: Proc, url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.proc.exitCode !== null) throw new Error(`${p.name} exited with ${p.proc.exitCode}:\n${p.output()}`);
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(1000), tls: { rejectUnauthorized: false } });
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await Bun.sleep(100);
  }
  throw new Error(`${p.name} did not answer ${url} within ${timeoutMs} ms:\n${p.output()}`);
}

export async function stopAll(): Promise<void> {
  for (const p of running.reverse()) {
    if (p.proc.exitCode === null) p.proc.kill("SIGTERM");
    await Promise.race([p.proc.exited, Bun.sleep(5000)]);
    if (p.proc.exitCode === null) p.proc.kill("SIGKILL");
  }
  running.length = 0;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.length = 0;
}

/** A self-signed certificate valid for `days` days, for the TLS expiry probe. */
export function selfSignedCert(dir: string, days: number): { cert: string; key: string } {
  const cert = join(dir, "server.crt");
  const key = join(dir, "server.key");
  const r = Bun.spawnSync(
    [
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      String(days),
      "-subj",
      "/CN=localhost",
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`openssl failed: ${r.stderr.toString()}`);
  return { cert, key };
}

/** nginx with stub_status (like the proxy's internal :8081) and a TLS server proxying to the API. */
export function nginxConfig(opts: {
  dir: string;
  statusPort: number;
  tlsPort: number;
  upstreams: string[];
  cert: string;
  key: string;
}): string {
  const path = join(opts.dir, "nginx.conf");
  const t = (n: string) => join(opts.dir, n);
  writeFileSync(
    path,
    `daemon off;
master_process on;
worker_processes 1;
pid ${t("nginx.pid")};
error_log ${t("error.log")} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${t("body")};
  proxy_temp_path ${t("proxy")};
  fastcgi_temp_path ${t("fastcgi")};
  uwsgi_temp_path ${t("uwsgi")};
  scgi_temp_path ${t("scgi")};
  upstream api { ${opts.upstreams.map((u) => `server ${u};`).join(" ")} }
  server {
    listen 127.0.0.1:${opts.statusPort};
    location = /stub_status { stub_status; }
  }
  server {
    listen 127.0.0.1:${opts.tlsPort} ssl;
    ssl_certificate ${opts.cert};
    ssl_certificate_key ${opts.key};
    location / { proxy_pass http://api; }
  }
}
`,
  );
  return path;
}
