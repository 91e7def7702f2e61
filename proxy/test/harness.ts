// Runs Debian's nginx with the project's proxy configuration (proxy/nginx.conf, conf.d/, snippets/ and the
// runtime.conf rendered by proxy/entrypoint.sh), with only ports and paths rewritten for the test.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../api/test/support/services.ts";

export const proxyDir = join(import.meta.dir, "..");
export const repoRoot = join(proxyDir, "..");

export interface RunningNginx {
  httpPort: number;
  httpsPort: number;
  statusPort: number;
  dir: string;
  accessLog: string;
  errorLog: string;
  /** Parsed JSON access-log lines written so far. */
  accessEntries(): Record<string, unknown>[];
  /** Renders the upstream again (as scripts/upgrade.sh does in the container) and reloads gracefully. */
  switchUpstreams(upstreams: string[]): void;
  stop(): Promise<void>;
}

export interface NginxOptions {
  upstreams: string[];
  distDir: string;
  certFile: string;
  keyFile: string;
  /** What the attachments volume holds (the API's ATTACHMENTS_DIR); default an empty directory. */
  attachmentsDir?: string;
  /** PUBLIC_HOSTNAME for the entrypoint (the HTTP→HTTPS redirect target); default localhost. */
  publicHostname?: string;
  /** The credential endpoints' per-address rate (nginx's tp_auth zone), e.g. "1000r/m"; default the shipped one. */
  authRate?: string;
}

/** The shipped configuration with the container's ports and paths replaced by the test's. */
export function renderConfig(
  text: string,
  dir: string,
  opts: NginxOptions,
  ports: Record<string, number>,
): string {
  const replacements: [string, string][] = [
    ["/etc/nginx/conf.d/", `${dir}/conf.d/`],
    ["/etc/nginx/snippets/", `${dir}/snippets/`],
    ["/tmp/nginx/", `${dir}/run/`],
    ["/usr/share/nginx/html", opts.distDir],
    ["/var/lib/taskplatform/attachments/", `${opts.attachmentsDir ?? `${dir}/attachments`}/`],
    ["/run/secrets/tls_cert", opts.certFile],
    ["/run/secrets/tls_key", opts.keyFile],
    ["listen 8080 ", `listen 127.0.0.1:${ports.http} `],
    ["listen 8443 ", `listen 127.0.0.1:${ports.https} `],
    ["listen 8081;", `listen 127.0.0.1:${ports.status};`],
    ["access_log /dev/stdout ", `access_log ${dir}/access.log `],
  ];
  let out = text;
  for (const [from, to] of replacements) out = out.split(from).join(to);
  if (opts.authRate) out = out.replace(/(zone=tp_auth:\S+ rate=)[^;]+;/, `$1${opts.authRate};`);
  // every error_log (the main one and per-location ones), each keeping its level
  return out.replace(/error_log \/dev\/stderr (\w+);/g, `error_log ${dir}/error.log $1;`);
}

function copyRendered(from: string, to: string, render: (text: string) => string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    if (name.endsWith(".conf")) writeFileSync(join(to, name), render(readFileSync(join(from, name), "utf8")));
  }
}

export async function startNginx(opts: NginxOptions): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), "tp-nginx-"));
  const ports = { http: await freePort(), https: await freePort(), status: await freePort() };
  const render = (text: string) => renderConfig(text, dir, opts, ports);
  let main = render(readFileSync(join(proxyDir, "nginx.conf"), "utf8"));
  // As root, nginx would switch its workers to "nobody", which cannot read the test's private temp dirs.
  if (process.getuid?.() === 0) main = `user root root;\n${main}`;
  writeFileSync(join(dir, "nginx.conf"), main);
  copyRendered(join(proxyDir, "conf.d"), join(dir, "conf.d"), render);
  copyRendered(join(proxyDir, "snippets"), join(dir, "snippets"), render);
  mkdirSync(join(dir, "run"), { recursive: true });

  // The container's entrypoint renders runtime.conf; run it in render-only mode.
  const renderRuntime = (upstreams: string[]) => {
    const entry = Bun.spawnSync(["sh", join(proxyDir, "entrypoint.sh")], {
      env: {
        ...process.env,
        TP_RENDER_ONLY: "1",
        TP_RUNTIME_DIR: join(dir, "run"),
        API_UPSTREAM: upstreams.join(" "),
        PUBLIC_HTTPS_PORT: String(ports.https),
        PUBLIC_HOSTNAME: opts.publicHostname ?? "localhost",
      },
      stderr: "pipe",
    });
    if (entry.exitCode !== 0) throw new Error(`entrypoint.sh failed: ${entry.stderr.toString()}`);
  };
  renderRuntime(opts.upstreams);

  // An empty OpenSSL config: the protocol/cipher policy under test must come from nginx.conf alone,
  // not from Debian's system-wide MinProtocol.
  writeFileSync(join(dir, "openssl.cnf"), "");
  const env = { ...process.env, OPENSSL_CONF: join(dir, "openssl.cnf") };
  const conf = join(dir, "nginx.conf");
  const check = Bun.spawnSync(["nginx", "-t", "-q", "-p", dir, "-c", conf], { env, stderr: "pipe" });
  if (check.exitCode !== 0) throw new Error(`nginx -t failed:\n${check.stderr.toString()}`);
  const proc = Bun.spawn(["nginx", "-p", dir, "-c", conf, "-g", "daemon off;"], {
    env,
    stdout: "inherit",
    stderr: "inherit",
  });
  process.once("exit", () => proc.kill("SIGKILL"));

  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${ports.http}/healthz`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline || proc.exitCode !== null) {
      throw new Error(`nginx did not start: ${readSafe(join(dir, "error.log"))}`);
    }
    await Bun.sleep(50);
  }

  const accessLog = join(dir, "access.log");
  return {
    httpPort: ports.http,
    httpsPort: ports.https,
    statusPort: ports.status,
    dir,
    accessLog,
    errorLog: join(dir, "error.log"),
    accessEntries: () =>
      readSafe(accessLog)
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    switchUpstreams(upstreams: string[]) {
      renderRuntime(upstreams);
      const test = Bun.spawnSync(["nginx", "-t", "-q", "-p", dir, "-c", conf], { env, stderr: "pipe" });
      if (test.exitCode !== 0) throw new Error(`nginx -t failed:\n${test.stderr.toString()}`);
      // SIGHUP is `nginx -s reload`: new workers with the new upstream, old ones finish what they serve.
      proc.kill("SIGHUP");
    },
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** A certificate from scripts/generate-ssl.sh in a fresh directory. */
export function generateCert(): { dir: string; certFile: string; keyFile: string; caFile: string } {
  const dir = mkdtempSync(join(tmpdir(), "tp-tls-"));
  const out = join(dir, "tls");
  const script = join(repoRoot, "scripts/generate-ssl.sh");
  const res = Bun.spawnSync(["bash", script, "--out", out, "--ca-dir", join(dir, "ca")], {
    env: { ...process.env, TP_ENV_FILE: "/nonexistent" },
    stderr: "pipe",
  });
  if (res.exitCode !== 0) throw new Error(`generate-ssl.sh failed: ${res.stderr.toString()}`);
  return {
    dir,
    certFile: join(out, "server.crt"),
    keyFile: join(out, "server.key"),
    caFile: join(out, "ca.crt"),
  };
}

/**
 * The built SPA: web/dist when present (built if web/ has a build script), else a small stand-in with
 * hashed asset names and precompressed copies, like the real build.
 */
export function spaDist(): { dir: string; real: boolean } {
  const real = join(repoRoot, "web/dist");
  const hasIndex = () => {
    try {
      return readFileSync(join(real, "index.html"), "utf8").length > 0;
    } catch {
      return false;
    }
  };
  if (!hasIndex()) {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "web/package.json"), "utf8")) as {
      scripts?: Record<string, string>;
    };
    if (pkg.scripts?.build) {
      const build = Bun.spawnSync(["bun", "run", "--cwd", join(repoRoot, "web"), "build"], {
        stdout: "pipe",
        stderr: "pipe",
      });
      if (build.exitCode !== 0) console.warn(`web build failed, using a stand-in dist:\n${build.stderr}`);
    }
  }
  if (hasIndex()) return { dir: real, real: true };
  const dir = mkdtempSync(join(tmpdir(), "tp-dist-"));
  mkdirSync(join(dir, "assets"));
  const js = `console.log(${JSON.stringify("x".repeat(2000))});\n`;
  const css = `body{margin:0}\n${".a{color:red}\n".repeat(200)}`;
  writeFileSync(join(dir, "assets/index-Bq3xZ9aQ.js"), js);
  writeFileSync(join(dir, "assets/index-Bq3xZ9aQ.js.gz"), Bun.gzipSync(Buffer.from(js)));
  writeFileSync(join(dir, "assets/index-C4tWm2Lp.css"), css);
  writeFileSync(join(dir, "assets/index-C4tWm2Lp.css.gz"), Bun.gzipSync(Buffer.from(css)));
  const html = `<!doctype html><html><head><title>TaskPlatform</title><script type="module" src="/assets/index-Bq3xZ9aQ.js"></script><link rel="stylesheet" href="/assets/index-C4tWm2Lp.css"></head><body><div id="root"></div></body></html>\n`;
  writeFileSync(join(dir, "index.html"), html);
  writeFileSync(join(dir, "index.html.gz"), Bun.gzipSync(Buffer.from(html)));
  writeFileSync(join(dir, "robots.txt"), "User-agent: *\nDisallow:\n");
  return { dir, real: false };
}
