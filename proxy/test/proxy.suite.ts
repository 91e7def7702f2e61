// The real nginx (Debian's 1.22) with the project's configuration in front of two upstream instances and
// the built SPA, with a certificate from scripts/generate-ssl.sh. Run: bun test ./proxy/test/proxy.suite.ts
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningApi, startApi } from "../../api/test/support/api-process.ts";
import { parseEvents } from "../../api/test/support/ics.ts";
import {
  freePort,
  type RestartableService,
  type RunningService,
  startPostgres,
  startRedis,
} from "../../api/test/support/services.ts";
import { startUpgradeLoad } from "../../scripts/ci/upgrade-load.ts";
import { stopPostgres } from "../../scripts/test/pg.ts";
import { generateCert, proxyDir, type RunningNginx, spaDist, startNginx } from "./harness.ts";

interface CurlResult {
  status: number;
  headers: Record<string, string>;
  body: string;
  httpVersion: string;
}

setDefaultTimeout(60_000);

/**
 * TLS options for Bun's fetch. Bun verifies certificates with BoringSSL, which refuses a CA with IP
 * address name constraints ("unsupported name constraint type") although RFC 5280 defines them and
 * OpenSSL (curl, Node), NSS (Firefox), Chromium, Go and Apple verify them. The local CA from
 * generate-ssl.sh has them, so Bun's requests here skip verification; every curl call in this file
 * verifies the same server against that CA (--cacert), and the scripts suite checks the constraints.
 */
const bunTls = { rejectUnauthorized: false } as const;

let cert: ReturnType<typeof generateCert> | undefined;
let dist: ReturnType<typeof spaDist> | undefined;

afterAll(() => {
  if (cert) rmSync(cert.dir, { recursive: true, force: true });
  if (dist && !dist.real) rmSync(dist.dir, { recursive: true, force: true });
});

/** curl through the proxy: one place that knows the CA, the timeouts and how to read headers back. */
async function curl(url: string, args: string[] = []): Promise<CurlResult> {
  const proc = Bun.spawn(
    [
      "curl",
      "-sS",
      "--max-time",
      "10",
      "--cacert",
      cert.caFile,
      "-D",
      "-",
      "-o",
      "-",
      "-w",
      "\n%{http_version}",
      ...args,
      url,
    ],
    { stdout: "pipe", stderr: "pipe" },
  );
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0) throw new Error(`curl ${url}: ${await new Response(proc.stderr).text()}`);
  const versionAt = out.lastIndexOf("\n");
  const httpVersion = out.slice(versionAt + 1);
  const rest = out.slice(0, versionAt);
  const split = rest.indexOf("\r\n\r\n");
  const head = rest.slice(0, split);
  const body = rest.slice(split + 4);
  const [statusLine, ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(":");
    const name = line.slice(0, i).trim().toLowerCase();
    headers[name] = headers[name]
      ? `${headers[name]}, ${line.slice(i + 1).trim()}`
      : line.slice(i + 1).trim();
  }
  return { status: Number(statusLine?.split(" ")[1]), headers, body, httpVersion };
}

/** openssl s_client with one protocol version; true when the handshake completes. */
function handshake(port: number, flag: string, opensslConf: string): boolean {
  const res = Bun.spawnSync(
    ["openssl", "s_client", "-connect", `127.0.0.1:${port}`, flag, "-cipher", "DEFAULT@SECLEVEL=0", "-brief"],
    {
      stdin: new TextEncoder().encode("Q\n"),
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, OPENSSL_CONF: opensslConf },
    },
  );
  const text = res.stdout.toString() + res.stderr.toString();
  return res.exitCode === 0 && /Protocol version:|CONNECTION ESTABLISHED/.test(text);
}

const SECURITY_HEADERS = [
  "strict-transport-security",
  "content-security-policy",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "permissions-policy",
  "cross-origin-opener-policy",
  "cross-origin-resource-policy",
];

function expectSecurityHeaders(res: CurlResult): void {
  for (const name of SECURITY_HEADERS) expect(res.headers[name], name).toBeDefined();
  expect(res.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
  const csp = res.headers["content-security-policy"] ?? "";
  expect(csp).not.toContain("unsafe-inline");
  expect(csp).not.toContain("unsafe-eval");
  for (const part of [
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "default-src 'self'",
  ]) {
    expect(csp).toContain(part);
  }
  expect(res.headers["x-content-type-options"]).toBe("nosniff");
  // exactly one copy of each (the API's own copies are hidden)
  for (const name of SECURITY_HEADERS) expect(res.headers[name]).not.toContain(", max-age");
  expect(res.headers.server).toBe("nginx");
}

/** A tiny upstream that tells who answered and what it received. */
function startStub(name: string, port: number) {
  return Bun.serve({
    port,
    hostname: "127.0.0.1",
    idleTimeout: 10,
    async fetch(req) {
      const url = new URL(req.url);
      const headers = { "x-instance": name };
      if (url.pathname === "/api/health") return Response.json({ status: "ok" }, { headers });
      if (url.pathname === "/api/echo") {
        return Response.json(
          { instance: name, url: req.url, headers: Object.fromEntries(req.headers) },
          { headers: { ...headers, "x-content-type-options": "nosniff", "x-powered-by": "stub" } },
        );
      }
      if (url.pathname === "/api/big") {
        return Response.json({
          items: Array.from({ length: 200 }, (_, i) => ({ id: i, title: `task ${i}` })),
        });
      }
      if (
        (url.pathname === "/api/import" || url.pathname === "/api/imports/trello") &&
        req.method === "POST"
      ) {
        return Response.json({ bytes: (await req.arrayBuffer()).byteLength });
      }
      if (url.pathname.startsWith("/api/auth/")) {
        return Response.json(
          { error: { code: "unauthorized", message: "nope", details: null } },
          { status: 401 },
        );
      }
      if (url.pathname === "/metrics") return new Response("# TYPE up gauge\nup 1\n");
      if (url.pathname === "/api/events") {
        // One event every 300 ms for 3 s: a buffering proxy would deliver them all at the end.
        let n = 0;
        let timer: ReturnType<typeof setInterval> | undefined;
        const stream = new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(": hello\n\n"));
            timer = setInterval(() => {
              n += 1;
              controller.enqueue(
                new TextEncoder().encode(`event: tick\ndata: {"n":${n},"at":${Date.now()}}\n\n`),
              );
              if (n === 10) {
                clearInterval(timer);
                controller.close();
              }
            }, 300);
          },
          cancel() {
            clearInterval(timer);
          },
        });
        return new Response(stream, {
          headers: { ...headers, "content-type": "text/event-stream", "cache-control": "no-cache" },
        });
      }
      return Response.json(
        { error: { code: "not_found", message: "no route", details: null } },
        { status: 404 },
      );
    },
  });
}

describe("entrypoint.sh renders the version-specific part", () => {
  function render(version: string, resolvConf: string, env: Record<string, string> = {}): string {
    const dir = mkdtempSync(join(tmpdir(), "tp-entry-"));
    const fake = join(dir, "nginx");
    writeFileSync(fake, `#!/bin/sh\necho "nginx version: nginx/${version}" >&2\n`);
    chmodSync(fake, 0o755);
    writeFileSync(join(dir, "resolv.conf"), resolvConf);
    const res = Bun.spawnSync(["sh", join(proxyDir, "entrypoint.sh")], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        TP_RENDER_ONLY: "1",
        TP_RUNTIME_DIR: dir,
        TP_RESOLV_CONF: join(dir, "resolv.conf"),
        NGINX_BIN: fake,
        ...env,
      },
      stderr: "pipe",
    });
    if (res.exitCode !== 0) throw new Error(res.stderr.toString());
    const text = readFileSync(join(dir, "runtime.conf"), "utf8");
    rmSync(dir, { recursive: true, force: true });
    return text;
  }

  test("nginx >= 1.27.3 re-resolves the api name through the engine's DNS", () => {
    const conf = render("1.28.0", "search x\nnameserver 127.0.0.11\noptions ndots:0\n");
    expect(conf).toContain("resolver 127.0.0.11 valid=10s ipv6=off;");
    expect(conf).toContain("server api:4000 max_fails=3 fail_timeout=10s resolve;");
    expect(conf).toContain("zone taskplatform_api 64k;");
    expect(conf).toContain('default "";');
  });

  test("podman-style resolvers (gateway, IPv6) and a non-443 public port", () => {
    const conf = render("1.27.3", "nameserver 10.89.0.1\nnameserver fd00::1\n", {
      PUBLIC_HTTPS_PORT: "8443",
    });
    expect(conf).toContain("resolver 10.89.0.1 [fd00::1] valid=10s ipv6=off;");
    expect(conf).toContain('default ":8443";');
  });

  test("older nginx lists the replicas once (no resolve parameter)", () => {
    const conf = render("1.26.2", "nameserver 127.0.0.11\n", { API_UPSTREAM: "a:1 b:2" });
    expect(conf).not.toMatch(/ resolve;|resolver /);
    expect(conf).toContain("server a:1 max_fails=3 fail_timeout=10s;");
    expect(conf).toContain("server b:2 max_fails=3 fail_timeout=10s;");
    expect(conf).toMatch(/keepalive_timeout [1-9]s;/);
  });

  test("Swarm's tasks.api: one server per task, re-resolved by nginx or (older nginx) by the entrypoint", () => {
    const swarm = { API_UPSTREAM: "tasks.api:4000" };
    expect(render("1.28.0", "nameserver 127.0.0.11\n", swarm)).toContain(
      "server tasks.api:4000 max_fails=3 fail_timeout=10s resolve;",
    );
    const old = render("1.22.1", "nameserver 127.0.0.11\n", swarm);
    // the name does not resolve here: a placeholder marked down until the entrypoint's watch finds tasks
    expect(old).toContain("server 127.0.0.1:4000 down;");
    expect(old).not.toContain("tasks.");
    // where it resolves (a getent answering as Docker's DNS would): one server per task address
    const bin = mkdtempSync(join(tmpdir(), "tp-getent-"));
    writeFileSync(
      join(bin, "getent"),
      '#!/bin/sh\n[ "$2" = tasks.api ] && printf "10.0.1.7 STREAM tasks.api\\n10.0.1.5 STREAM\\n10.0.1.7 DGRAM\\n"\n',
    );
    chmodSync(join(bin, "getent"), 0o755);
    const tasks = render("1.22.1", "nameserver 127.0.0.11\n", {
      ...swarm,
      PATH: `${bin}:${process.env.PATH}`,
    });
    rmSync(bin, { recursive: true, force: true });
    expect(tasks).toContain(
      "    server 10.0.1.5:4000 max_fails=3 fail_timeout=10s;\n    server 10.0.1.7:4000 max_fails=3 fail_timeout=10s;\n",
    );
    expect(tasks).not.toContain(" down;");
  });

  test("the per-address API rate is PROXY_API_RATE (default 50/s); anything but a positive number is refused", () => {
    expect(render("1.28.0", "")).toContain("limit_req_zone $binary_remote_addr zone=tp_api:10m rate=50r/s;");
    expect(render("1.28.0", "", { PROXY_API_RATE: "200" })).toContain("zone=tp_api:10m rate=200r/s;");
    for (const bad of ["0", "-5", "50r/s", "1;evil"])
      expect(() => render("1.28.0", "", { PROXY_API_RATE: bad }), bad).toThrow();
  });

  test("replicas named by address (scripts/upgrade.sh's switch) get no resolve parameter on any nginx", () => {
    const conf = render("1.28.0", "nameserver 127.0.0.11\n", { API_UPSTREAM: "172.18.0.7:4000 api-2:4000" });
    expect(conf).toContain("server 172.18.0.7:4000 max_fails=3 fail_timeout=10s;");
    expect(conf).toContain("server api-2:4000 max_fails=3 fail_timeout=10s resolve;");
  });

  test("upstream keepalive closes idle connections before the API does", () => {
    const conf = render("1.28.0", "nameserver 127.0.0.11\n");
    const nginxIdle = Number(/keepalive_timeout (\d+)s;/.exec(conf)?.[1]);
    const main = readFileSync(join(proxyDir, "../api/src/main.ts"), "utf8");
    // Bun.serve's idleTimeout (seconds); Bun's default is 10 when the API does not set one
    const apiIdle = Number(/idleTimeout:\s*(\d+)/.exec(main)?.[1] ?? 10);
    expect(nginxIdle).toBeGreaterThan(0);
    expect(nginxIdle).toBeLessThan(apiIdle);
    expect(nginxIdle).toBeLessThan(10);
  });

  test("nginx's attachment upload limit agrees with the API's default ATTACHMENTS_MAX_BYTES", async () => {
    const conf = readFileSync(join(proxyDir, "conf.d/taskplatform.conf"), "utf8");
    const block = /location ~ \^\/api\/tasks\/\[\^\/\]\+\/attachments\$ \{([^}]*)\}/.exec(conf)?.[1] ?? "";
    const size = /client_max_body_size (\d+)m;/.exec(block)?.[1];
    expect(size).toBeDefined();
    const { loadConfig } = await import("../../api/src/config.ts");
    const { attachments } = loadConfig({}, "dev");
    expect(Number(size) * 1024 * 1024).toBe(attachments.maxBytes);
    expect(block).toContain("proxy_request_buffering off;");
  });

  test("rejects a bad port or upstream", () => {
    expect(() => render("1.28.0", "", { PUBLIC_HTTPS_PORT: "x" })).toThrow();
    expect(() => render("1.28.0", "", { API_UPSTREAM: "a;b" })).toThrow();
  });

  test("the redirect target is PUBLIC_HOSTNAME (lower-cased, IPv6 bracketed), never a name with syntax in it", () => {
    expect(render("1.28.0", "")).toContain('map $host $tp_redirect_host {\n    default "localhost";');
    const named = render("1.28.0", "", { PUBLIC_HOSTNAME: "Tasks.Example.COM" });
    expect(named).toContain('default "tasks.example.com";');
    expect(named).toContain('"localhost" $host;');
    expect(render("1.28.0", "", { PUBLIC_HOSTNAME: "2001:db8::1" })).toContain('default "[2001:db8::1]";');
    for (const bad of ["a b", 'x";', "evil.example/path", "$host"])
      expect(() => render("1.28.0", "", { PUBLIC_HOSTNAME: bad }), bad).toThrow("PUBLIC_HOSTNAME");
  });
});

describe("nginx in front of two stub upstreams", () => {
  let nginx: RunningNginx;
  let stubs: ReturnType<typeof startStub>[];
  let base: string;
  let emptyConf: string;

  beforeAll(async () => {
    cert ??= generateCert();
    dist ??= spaDist();
    const ports = [await freePort(), await freePort()];
    stubs = [startStub("a", ports[0] as number), startStub("b", ports[1] as number)];
    nginx = await startNginx({
      upstreams: ports.map((p) => `127.0.0.1:${p}`),
      distDir: dist.dir,
      certFile: cert.certFile,
      keyFile: cert.keyFile,
    });
    base = `https://localhost:${nginx.httpsPort}`;
    emptyConf = join(nginx.dir, "openssl.cnf");
  });

  afterAll(async () => {
    await nginx?.stop();
    for (const stub of stubs ?? []) stub.stop(true);
  });

  test("TLS 1.2 and 1.3 are accepted, 1.0 and 1.1 refused", async () => {
    expect(handshake(nginx.httpsPort, "-tls1_3", emptyConf)).toBe(true);
    expect(handshake(nginx.httpsPort, "-tls1_2", emptyConf)).toBe(true);
    expect(handshake(nginx.httpsPort, "-tls1_1", emptyConf)).toBe(false);
    expect(handshake(nginx.httpsPort, "-tls1", emptyConf)).toBe(false);
  });

  test("control: this openssl client can speak TLS 1.0/1.1 to a server that allows them", async () => {
    const port = await freePort();
    const server = Bun.spawn(
      [
        "openssl",
        "s_server",
        "-accept",
        `127.0.0.1:${port}`,
        "-cert",
        cert.certFile,
        "-key",
        cert.keyFile,
        "-cipher",
        "DEFAULT@SECLEVEL=0",
        "-tls1_1",
        "-naccept",
        "1",
        "-quiet",
      ],
      { stdout: "ignore", stderr: "ignore", env: { ...process.env, OPENSSL_CONF: emptyConf } },
    );
    try {
      let ok = false;
      for (let i = 0; i < 100 && !ok; i++) {
        await Bun.sleep(100);
        ok = handshake(port, "-tls1_1", emptyConf);
      }
      expect(ok).toBe(true);
    } finally {
      server.kill();
    }
  });

  test("weak TLS 1.2 ciphers are refused", () => {
    const res = Bun.spawnSync(
      [
        "openssl",
        "s_client",
        "-connect",
        `127.0.0.1:${nginx.httpsPort}`,
        "-tls1_2",
        "-cipher",
        "AES128-SHA:DES-CBC3-SHA@SECLEVEL=0",
        "-brief",
      ],
      {
        stdin: new TextEncoder().encode("Q\n"),
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, OPENSSL_CONF: emptyConf },
      },
    );
    expect(res.exitCode).not.toBe(0);
  });

  test("HTTP/2 is negotiated", async () => {
    const res = await curl(`${base}/`, ["--http2"]);
    expect(res.httpVersion).toBe("2");
    expect(res.status).toBe(200);
  });

  test("HTTP redirects to HTTPS (keeping path and query), /healthz answers on HTTP", async () => {
    const res = await curl(`http://localhost:${nginx.httpPort}/projects/1?x=2`);
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`https://localhost:${nginx.httpsPort}/projects/1?x=2`);
    const health = await curl(`http://localhost:${nginx.httpPort}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body).toBe("ok\n");
    expect(health.headers["strict-transport-security"]).toBeUndefined();
  });

  test("security headers on the SPA, assets, API responses and errors", async () => {
    expectSecurityHeaders(await curl(`${base}/`));
    expectSecurityHeaders(await curl(`${base}/some/client/route`));
    const api = await curl(`${base}/api/echo`);
    expectSecurityHeaders(api);
    expect(api.headers["x-content-type-options"]).toBe("nosniff");
    expect(api.headers["x-powered-by"]).toBeUndefined();
    expectSecurityHeaders(await curl(`${base}/api/nothing-here`));
    expectSecurityHeaders(await curl(`${base}/metrics`));
  });

  test("index.html is no-cache; the SPA fallback serves it for client routes", async () => {
    const index = readFileSync(join(dist.dir, "index.html"), "utf8");
    for (const path of ["/", "/index.html", "/projects/42/board", "/settings"]) {
      const res = await curl(`${base}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers["cache-control"], path).toBe("no-cache");
      expect(res.headers["content-type"], path).toStartWith("text/html");
      expect(res.body, path).toBe(index);
    }
  });

  test("hashed assets are immutable and served precompressed; a missing asset is a 404", async () => {
    const index = readFileSync(join(dist.dir, "index.html"), "utf8");
    const assets = [...index.matchAll(/\/assets\/[^"']+\.(?:js|css)/g)].map((m) => m[0]);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const res = await curl(`${base}${asset}`, ["-H", "Accept-Encoding: gzip"]);
      expect(res.status, asset).toBe(200);
      expect(res.headers["cache-control"], asset).toBe("public, max-age=31536000, immutable");
      expect(res.headers["content-encoding"], asset).toBe("gzip");
      expect(res.headers.vary, asset).toContain("Accept-Encoding");
      expectSecurityHeaders(res);
    }
    const missing = await curl(`${base}/assets/does-not-exist-12345678.js`);
    expect(missing.status).toBe(404);
  });

  test("dynamic gzip for API JSON", async () => {
    const res = await curl(`${base}/api/big`, ["-H", "Accept-Encoding: gzip"]);
    expect(res.status).toBe(200);
    expect(res.headers["content-encoding"]).toBe("gzip");
  });

  test("requests are spread over both upstreams", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const res = await curl(`${base}/api/health`);
      expect(res.status).toBe(200);
      seen.add(res.headers["x-instance"] ?? "");
    }
    expect([...seen].sort()).toEqual(["a", "b"]);
  });

  test("forwarded headers and request id reach the upstream; spoofed X-Forwarded-For is replaced", async () => {
    const res = await curl(`${base}/api/echo?q=1`, [
      "-H",
      "X-Request-ID: req-abc.123",
      "-H",
      "X-Forwarded-For: 6.6.6.6",
    ]);
    const echo = JSON.parse(res.body) as { headers: Record<string, string>; url: string };
    expect(echo.headers["x-request-id"]).toBe("req-abc.123");
    expect(echo.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(echo.headers["x-real-ip"]).toBe("127.0.0.1");
    expect(echo.headers["x-forwarded-proto"]).toBe("https");
    expect(echo.headers["x-forwarded-host"]).toBe("localhost");
    expect(echo.url).toEndWith("/api/echo?q=1");
    // an unsafe id is replaced by nginx's own
    const bad = JSON.parse((await curl(`${base}/api/echo`, ["-H", 'X-Request-ID: a b"c'])).body) as {
      headers: Record<string, string>;
    };
    expect(bad.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
  });

  test("JSON access log with request id, upstream address/time/status, no query string", async () => {
    await curl(`${base}/api/echo?access_token=secret-token`, ["-H", "X-Request-ID: log-check-1"]);
    await Bun.sleep(100);
    const entry = nginx.accessEntries().find((e) => e.requestId === "log-check-1");
    expect(entry).toBeDefined();
    expect(entry?.path).toBe("/api/echo");
    expect(entry?.status).toBe(200);
    expect(String(entry?.upstreamAddr)).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(String(entry?.upstreamStatus)).toBe("200");
    expect(Number(entry?.upstreamTime)).toBeGreaterThanOrEqual(0);
    expect(readFileSync(nginx.accessLog, "utf8")).not.toContain("secret-token");
  });

  test("SSE streams through live (unbuffered)", async () => {
    const res = await fetch(`${base}/api/events?access_token=t`, {
      tls: bunTls,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    expect(res.headers.get("content-encoding")).toBeNull();
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    // [time the stub sent it, time it arrived here] per tick
    const ticks: [number, number][] = [];
    while (ticks.length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      for (const m of [...text.matchAll(/"at":(\d+)/g)].slice(ticks.length))
        ticks.push([Number(m[1]), Date.now()]);
    }
    await reader.cancel();
    // The stub sends a tick every 300 ms for 3 s. A buffering proxy delivers them together at the end;
    // live delivery means each arrives soon after it was sent, one by one.
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    const [first, , third] = ticks as [[number, number], [number, number], [number, number]];
    expect(first[1] - first[0]).toBeLessThan(1500);
    expect(third[1] - first[1]).toBeGreaterThan(300);
  });

  test("/metrics is not reachable through the proxy", async () => {
    for (const path of [
      "/metrics",
      "/metrics/",
      "/metrics?x=1",
      "/api/../metrics",
      "//metrics",
      "/%6detrics",
    ]) {
      const res = await curl(`${base}${path}`, ["--path-as-is"]);
      expect(res.body, path).not.toContain("# TYPE");
      expect(res.status, path).toBeOneOf([404, 400]);
    }
    const http = await curl(`http://localhost:${nginx.httpPort}/metrics`);
    expect(http.status).toBe(301);
    // the upstream does serve it: the block is the proxy's
    const direct = await fetch(`http://127.0.0.1:${stubs[0]?.port}/metrics`);
    expect(await direct.text()).toContain("# TYPE");
  });

  test("stub_status only on the internal status port", async () => {
    const res = await fetch(`http://127.0.0.1:${nginx.statusPort}/stub_status`);
    expect(await res.text()).toContain("Active connections");
    const onPublic = await curl(`${base}/stub_status`);
    expect(onPublic.body).not.toContain("Active connections");
  });

  test("bodies over 1 MiB are refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tp-body-"));
    const small = join(dir, "small");
    const big = join(dir, "big");
    writeFileSync(small, "x".repeat(500_000));
    writeFileSync(big, "x".repeat(1_100_000));
    const ok = await curl(`${base}/api/import`, ["-X", "POST", "--data-binary", `@${small}`]);
    expect(ok.status).toBe(200);
    const tooBig = await curl(`${base}/api/import`, ["-X", "POST", "--data-binary", `@${big}`]);
    expect(tooBig.status).toBe(413);
    rmSync(dir, { recursive: true, force: true });
  });

  test("a Trello export may be larger: up to 21 MiB reach /api/imports/trello (the API refuses over 20)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tp-trello-"));
    const export15 = join(dir, "fifteen");
    const export22 = join(dir, "twenty-two");
    writeFileSync(export15, "x".repeat(15 * 1024 * 1024));
    writeFileSync(export22, "x".repeat(22 * 1024 * 1024));
    const ok = await curl(`${base}/api/imports/trello`, ["-X", "POST", "--data-binary", `@${export15}`]);
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ bytes: 15 * 1024 * 1024 });
    const tooBig = await curl(`${base}/api/imports/trello`, ["-X", "POST", "--data-binary", `@${export22}`]);
    expect(tooBig.status).toBe(413);
    rmSync(dir, { recursive: true, force: true });
  });

  test("/api/auth/ is rate limited per client (429)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await curl(`${base}/api/auth/login`, [
        "-X",
        "POST",
        "-H",
        "content-type: application/json",
        "-d",
        "{}",
      ]);
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(5);
    expect(statuses).toContain(429);
    expect(readFileSync(nginx.errorLog, "utf8")).toContain("limiting requests, excess");
    // other API routes are not affected by the auth limit
    expect((await curl(`${base}/api/health`)).status).toBe(200);
  });
  test("GET /api/auth/me and /api/auth/sessions are not held to the auth limit (only the general one)", async () => {
    const login = () =>
      curl(`${base}/api/auth/login`, ["-X", "POST", "-H", "content-type: application/json", "-d", "{}"]);
    // use up this client's auth allowance (20/min, burst 10)
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++) status = (await login()).status;
    expect(status).toBe(429);
    // credential endpoints and writes stay limited…
    expect((await curl(`${base}/api/auth/sessions/other`, ["-X", "DELETE"])).status).toBe(429);
    // …reading one's own account and sessions is not (the stub answers 401 to everything under /api/auth/)
    const reads: number[] = [];
    for (let i = 0; i < 25; i++) {
      reads.push((await curl(`${base}/api/auth/me`)).status);
      reads.push((await curl(`${base}/api/auth/sessions`)).status);
    }
    expect(reads.filter((s) => s === 429)).toEqual([]);
    expect(new Set(reads)).toEqual(new Set([401]));
  });
});

describe("nginx with a configured public name and an upstream that goes away", () => {
  let nginx: RunningNginx;
  let stub: ReturnType<typeof startStub> | undefined;
  let upstreamPort: number;
  let base: string;

  beforeAll(async () => {
    cert ??= generateCert();
    dist ??= spaDist();
    upstreamPort = await freePort();
    stub = startStub("solo", upstreamPort);
    nginx = await startNginx({
      upstreams: [`127.0.0.1:${upstreamPort}`],
      distDir: dist.dir,
      certFile: cert.certFile,
      keyFile: cert.keyFile,
      publicHostname: "tasks.example.test",
    });
    base = `https://localhost:${nginx.httpsPort}`;
  });

  afterAll(async () => {
    await nginx?.stop();
    stub?.stop(true);
  });

  test("the HTTP→HTTPS redirect goes to the configured name, never to the client's Host", async () => {
    const http = `http://127.0.0.1:${nginx.httpPort}`;
    const target = `https://tasks.example.test:${nginx.httpsPort}/p/1?x=2`;
    for (const host of [
      "evil.example",
      "EVIL.example:80",
      "tasks.example.test.evil.example",
      "a@evil.example",
    ]) {
      const res = await curl(`${http}/p/1?x=2`, ["-H", `Host: ${host}`]);
      expect({ host, status: res.status, location: res.headers.location }).toEqual({
        host,
        status: 301,
        location: target,
      });
    }
    // HTTP/1.0 without a Host header: nginx would fill in its server_name "_"
    const noHost = await curl(`${http}/p/1?x=2`, ["--http1.0", "-H", "Host:"]);
    expect(noHost.headers.location).toBe(target);
    // the configured name and the loopback names keep the name that was typed
    for (const host of ["tasks.example.test", "localhost", "127.0.0.1"]) {
      const res = await curl(`${http}/p/1?x=2`, ["-H", `Host: ${host}`]);
      expect(res.headers.location).toBe(`https://${host}:${nginx.httpsPort}/p/1?x=2`);
    }
  });

  test("the name-constrained local CA verifies the server by name and by IP address (OpenSSL)", async () => {
    for (const host of ["localhost", "127.0.0.1"]) {
      const res = await curl(`https://${host}:${nginx.httpsPort}/healthz`);
      expect(res.status, host).toBe(200);
    }
  });

  test("credentials in /api/events and calendar feed URLs reach neither nginx log, with the upstream up and down (502)", async () => {
    const url = `${base}/api/events?access_token=SECRET123&ticket=SECRET456`;
    const entry = async (requestId: string) => {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = nginx.accessEntries().find((e) => e.requestId === requestId);
        if (found || Date.now() > deadline) return found;
        await Bun.sleep(50);
      }
    };

    // upstream up: the stream opens, then the client goes away
    const up = await fetch(url, { headers: { "x-request-id": "secret-up" }, tls: bunTls });
    expect(up.status).toBe(200);
    const reader = (up.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    expect((await entry("secret-up"))?.path).toBe("/api/events");

    // upstream down: 502, the case where nginx writes the request line into its error log
    stub?.stop(true);
    stub = undefined;
    const down = await curl(url, ["-H", "X-Request-ID: secret-down"]);
    expect(down.status).toBe(502);
    const failed = await entry("secret-down");
    expect(failed).toMatchObject({ path: "/api/events", status: 502 });
    expect(String(failed?.upstreamAddr)).toBe(`127.0.0.1:${upstreamPort}`);
    const feedToken = "FEEDSECRET789abcdefghijklmnopqrstuvwxyz0123";
    const feed = await curl(`${base}/api/ical/${feedToken}.ics`, ["-H", "X-Request-ID: feed-down"]);
    expect(feed.status).toBe(502);
    expect(await entry("feed-down")).toMatchObject({ path: "/api/ical/[redacted]", status: 502 });
    // control: the same failure elsewhere is in the error log, so the log is written and read here
    expect((await curl(`${base}/api/echo?q=visible`)).status).toBe(502);
    const deadline = Date.now() + 10_000;
    while (!readFileSync(nginx.errorLog, "utf8").includes("/api/echo?q=visible") && Date.now() < deadline)
      await Bun.sleep(50);
    expect(readFileSync(nginx.errorLog, "utf8")).toContain("connect() failed");

    for (const log of [nginx.accessLog, nginx.errorLog]) {
      const text = readFileSync(log, "utf8");
      expect(text, log).not.toContain("SECRET123");
      expect(text, log).not.toContain("SECRET456");
      expect(text, log).not.toContain("FEEDSECRET789");
    }
  });
});

describe("nginx in front of two real API instances (PostgreSQL + Redis)", () => {
  let nginx: RunningNginx;
  let pg: RestartableService;
  let redis: RunningService;
  let apis: RunningApi[];
  let base: string;
  /** The attachments volume both API instances write and nginx reads (X-Accel-Redirect). */
  let attachmentsDir: string;

  async function call(path: string, init: RequestInit & { token?: string } = {}) {
    const headers = new Headers(init.headers);
    if (init.token) headers.set("authorization", `Bearer ${init.token}`);
    if (init.body) headers.set("content-type", "application/json");
    return fetch(`${base}${path}`, { ...init, headers, tls: bunTls });
  }

  beforeAll(async () => {
    cert ??= generateCert();
    dist ??= spaDist();
    pg = await startPostgres();
    redis = await startRedis();
    attachmentsDir = mkdtempSync(join(tmpdir(), "tp-attachments-"));
    // The API's own auth limit is raised so that every 429 below is nginx's.
    const env = {
      TRUST_PROXY: "true",
      RATE_LIMIT_AUTH_IP: "10000",
      LOGIN_FAILURES_MAX: "10000",
      LOG_LEVEL: "info",
      ATTACHMENTS_DIR: attachmentsDir,
      ATTACHMENTS_ACCEL_REDIRECT: "/_attachments/",
      // As in production: every replica links (and names calendar events) with the same public URL,
      // so the feed's body and ETag are the same whichever replica answers.
      PUBLIC_URL: "https://tasks.example.test",
    };
    apis = [];
    for (let i = 0; i < 2; i++) apis.push(await startApi({ databaseUrl: pg.url, redisUrl: redis.url, env }));
    nginx = await startNginx({
      upstreams: apis.map((a) => `127.0.0.1:${a.port}`),
      distDir: dist.dir,
      certFile: cert.certFile,
      keyFile: cert.keyFile,
      attachmentsDir,
    });
    base = `https://localhost:${nginx.httpsPort}`;
  });

  afterAll(async () => {
    await nginx?.stop();
    for (const api of apis ?? []) await api.stop();
    await redis?.stop();
    await stopPostgres(pg);
    if (attachmentsDir) rmSync(attachmentsDir, { recursive: true, force: true });
  });

  test("health and readiness through the proxy, with the security headers", async () => {
    const res = await curl(`${base}/api/ready`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).status).toBe("ok");
    expectSecurityHeaders(res);
  });

  test("requests are spread over both API instances", async () => {
    for (let i = 0; i < 12; i++) expect((await curl(`${base}/api/health`)).status).toBe(200);
    await Bun.sleep(100);
    const upstreams = new Set(
      nginx
        .accessEntries()
        .filter((e) => e.path === "/api/health")
        .map((e) => e.upstreamAddr),
    );
    expect([...upstreams].sort()).toEqual(apis.map((a) => `127.0.0.1:${a.port}`).sort());
  });

  test("the request id reaches the API's logs; the API sees the client address", async () => {
    await curl(`${base}/api/health`, ["-H", "X-Request-ID: proxy-suite-req-1"]);
    await Bun.sleep(200);
    const line = apis
      .flatMap((a) => a.output().split("\n"))
      .find((l) => l.includes('"requestId":"proxy-suite-req-1"'));
    expect(line).toBeDefined();
    expect(JSON.parse(line as string).ip).toBe("127.0.0.1");
  });

  test("API JSON is gzipped on the way out", async () => {
    const res = await curl(`${base}/api/openapi.json`, ["-H", "Accept-Encoding: gzip"]);
    expect(res.status).toBe(200);
    expect(res.headers["content-encoding"]).toBe("gzip");
  });

  describe("attachments", () => {
    let token: string;
    let taskId: string;
    let files: string;

    beforeAll(async () => {
      const reg = await call("/api/auth/register", {
        method: "POST",
        body: JSON.stringify({
          email: `files-${Date.now()}@example.test`,
          password: "correct horse battery staple",
          name: "F",
        }),
      });
      token = ((await reg.json()) as { accessToken: string }).accessToken;
      const project = await call("/api/projects", {
        method: "POST",
        token,
        body: JSON.stringify({ name: "Files" }),
      });
      const projectId = ((await project.json()) as { id: string }).id;
      const task = await call("/api/tasks", {
        method: "POST",
        token,
        body: JSON.stringify({ projectId, title: "T" }),
      });
      taskId = ((await task.json()) as { id: string }).id;
      files = mkdtempSync(join(tmpdir(), "tp-upload-"));
    });
    afterAll(() => rmSync(files, { recursive: true, force: true }));

    const uploadFile = (name: string, path: string) =>
      curl(`${base}/api/tasks/${taskId}/attachments?name=${encodeURIComponent(name)}`, [
        "--max-time",
        "60",
        "-H",
        `Authorization: Bearer ${token}`,
        "-H",
        "Content-Type: application/octet-stream",
        "--data-binary",
        `@${path}`,
      ]);

    test("a 5 MB file goes up through nginx (over the 1 MiB JSON limit) and comes down from nginx by X-Accel-Redirect", async () => {
      const path = join(files, "five.bin");
      const bytes = Buffer.alloc(5 * 1024 * 1024, "tp-attachment-");
      writeFileSync(path, bytes);
      const up = await uploadFile("five ü.bin", path);
      expect(up.status).toBe(201);
      const attachment = JSON.parse(up.body) as { id: string; projectId: string; url: string };

      const down = await fetch(`${base}${attachment.url}`, { tls: bunTls });
      expect(down.status).toBe(200);
      expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).toBe(true);
      expect(down.headers.get("content-disposition")).toBe(
        `attachment; filename="five _.bin"; filename*=UTF-8''five%20%C3%BC.bin`,
      );
      expect(down.headers.get("content-type")).toBe("application/octet-stream");
      expect(down.headers.get("x-accel-redirect")).toBeNull();
      expect(down.headers.get("x-content-type-options")).toBe("nosniff");
      expect(down.headers.get("content-security-policy")).toContain("default-src 'self'");
      // nginx sent the bytes from the volume: after the redirect its $uri is the internal location's.
      const entry = nginx
        .accessEntries()
        .findLast((e) => e.path === `/_attachments/${attachment.projectId}/${attachment.id}`);
      expect(entry?.bytes).toBe(bytes.length);
      expect(entry?.upstreamStatus).toBe("200");

      // The internal location cannot be asked for directly.
      const direct = await curl(`${base}/_attachments/${attachment.projectId}/${attachment.id}`);
      expect(direct.status).toBe(404);
      expect(direct.body).not.toContain("tp-attachment-");
      // A link with a forged signature: the API's 404, nothing from the volume.
      const forged = new URL(attachment.url, base);
      forged.searchParams.set("s", "A".repeat(43));
      const refused = await curl(`${base}${forged.pathname}${forged.search}`);
      expect(refused.status).toBe(404);
      expect(refused.body).not.toContain("tp-attachment-");
    });

    test("a file over client_max_body_size (25 MiB) is refused by nginx with 413", async () => {
      const path = join(files, "big.bin");
      writeFileSync(path, Buffer.alloc(25 * 1024 * 1024 + 1));
      const res = await uploadFile("big.bin", path);
      expect(res.status).toBe(413);
      const exact = join(files, "exact.bin");
      writeFileSync(exact, Buffer.alloc(25 * 1024 * 1024));
      expect((await uploadFile("exact.bin", exact)).status).toBe(201);
    });
  });

  test("SSE streams through the proxy live: a task created elsewhere arrives while the stream is open", async () => {
    const email = `sse-${Date.now()}@example.test`;
    const reg = await call("/api/auth/register", {
      method: "POST",
      body: JSON.stringify({ email, password: "correct horse battery staple", name: "SSE" }),
    });
    expect(reg.status).toBe(201);
    const { accessToken } = (await reg.json()) as { accessToken: string };
    const proj = await call("/api/projects", {
      method: "POST",
      token: accessToken,
      body: JSON.stringify({ name: "P" }),
    });
    expect(proj.status).toBe(201);
    const project = (await proj.json()) as { id: string };

    const stream = await call("/api/events", { token: accessToken });
    expect(stream.status).toBe(200);
    expect(stream.headers.get("content-type")).toStartWith("text/event-stream");
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const readUntil = async (pattern: RegExp, ms: number) => {
      const deadline = Date.now() + ms;
      while (!pattern.test(text)) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        const chunk = await Promise.race([reader.read(), Bun.sleep(left).then(() => null)]);
        if (!chunk || chunk.done) return pattern.test(text);
        text += new TextDecoder().decode(chunk.value);
      }
      return true;
    };
    // the stream's first bytes arrive right away (not held in a proxy buffer)
    expect(await readUntil(/event: ready|: /, 3000)).toBe(true);
    const created = await call("/api/tasks", {
      method: "POST",
      token: accessToken,
      body: JSON.stringify({ projectId: project.id, title: "live through nginx" }),
    });
    expect(created.status).toBe(201);
    const at = Date.now();
    // The API also sends X-Accel-Buffering: no, so this holds even if the proxy's `proxy_buffering off`
    // went missing; the stub test above (no such header) is the one that guards the nginx config.
    expect(await readUntil(/event: task\.created[\s\S]*live through nginx/, 10_000)).toBe(true);
    expect(Date.now() - at).toBeLessThan(10_000);
    await reader.cancel();
    // the token in the query string is not written to the access log
    await Bun.sleep(100);
    expect(readFileSync(nginx.accessLog, "utf8")).not.toContain(accessToken);
  });

  test("a calendar feed through the proxy: parsed by ical.js, 304 on its gzip ETag, the token in no log", async () => {
    const reg = await call("/api/auth/register", {
      method: "POST",
      body: JSON.stringify({
        email: `feed-${Date.now()}@example.test`,
        password: "a sturdy passphrase 42",
        name: "Feed",
      }),
    });
    const { accessToken } = (await reg.json()) as { accessToken: string };
    const proj = (await (
      await call("/api/projects", {
        method: "POST",
        token: accessToken,
        body: JSON.stringify({ name: "Cal" }),
      })
    ).json()) as { id: string };
    const task = { projectId: proj.id, title: "Due through nginx", dueAt: "2027-02-01T00:00:00Z" };
    await call("/api/tasks", { method: "POST", token: accessToken, body: JSON.stringify(task) });
    const created = await call("/api/me/calendar-feed", { method: "POST", token: accessToken, body: "{}" });
    expect(created.status).toBe(201);
    const path = new URL(((await created.json()) as { url: string }).url).pathname;
    const token = path.slice("/api/ical/".length, -".ics".length);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const feed = await curl(`${base}${path}`, ["--compressed", "-H", "X-Request-ID: feed-ok"]);
    expect(feed.status).toBe(200);
    expect(feed.headers["content-type"]).toBe("text/calendar; charset=utf-8");
    expect(feed.headers["content-encoding"]).toBe("gzip");
    expect(parseEvents(feed.body).map((event) => event.summary)).toEqual([task.title]);
    // nginx's gzip makes the API's strong ETag weak; the API still recognises it.
    const etag = feed.headers.etag as string;
    expect(etag).toStartWith('W/"');
    const again = await curl(`${base}${path}`, ["--compressed", "-H", `If-None-Match: ${etag}`]);
    expect(again.status).toBe(304);
    // a token of the wrong form, and a revoked feed: 404 (a path the error log would name if it logged)
    expect((await curl(`${base}/api/ical/${token}x.ics`, ["-H", "X-Request-ID: feed-bad"])).status).toBe(404);
    expect((await call("/api/me/calendar-feed", { method: "DELETE", token: accessToken })).status).toBe(204);
    expect((await curl(`${base}${path}`)).status).toBe(404);

    const deadline = Date.now() + 10_000;
    const entries = () => nginx.accessEntries().filter((e) => String(e.requestId).startsWith("feed-"));
    while (entries().length < 2 && Date.now() < deadline) await Bun.sleep(50);
    expect(entries().map((e) => [e.requestId, e.path, e.status])).toEqual([
      ["feed-ok", "/api/ical/[redacted]", 200],
      ["feed-bad", "/api/ical/[redacted]", 404],
    ]);
    const apiLine = () =>
      apis.flatMap((a) => a.output().split("\n")).find((l) => l.includes('"requestId":"feed-bad"'));
    while (!apiLine() && Date.now() < deadline) await Bun.sleep(50);
    expect(JSON.parse(apiLine() as string).path).toBe("/api/ical/[redacted]");
    for (const [name, text] of [
      ["access log", readFileSync(nginx.accessLog, "utf8")],
      ["error log", readFileSync(nginx.errorLog, "utf8")],
      ["API output", apis.map((a) => a.output()).join("\n")],
    ])
      expect(text, name).not.toContain(token);
  });

  test("/metrics is served by the API but not reachable through the proxy", async () => {
    const direct = await fetch(`${apis[0]?.url}/metrics`);
    expect(await direct.text()).toContain("http_requests_total");
    for (const path of ["/metrics", "/api/../metrics", "/metrics?format=prometheus"]) {
      const res = await curl(`${base}${path}`, ["--path-as-is"]);
      expect(res.status, path).toBeOneOf([404, 400]);
      expect(res.body, path).not.toContain("http_requests_total");
    }
    expect((await curl(`${base}/api/metrics`)).body).not.toContain("http_requests_total");
  });

  test("the SPA is served next to the API", async () => {
    const res = await curl(`${base}/projects/123`);
    expect(res.status).toBe(200);
    expect(res.body).toContain('<div id="root">');
    expect(res.headers["cache-control"]).toBe("no-cache");
  });

  test("scripts/test-complete.sh passes against this stack (HTTP-only mode) and reports failures clearly", async () => {
    const script = join(proxyDir, "../scripts/test-complete.sh");
    const args = [
      "--no-engine",
      "--no-monitoring",
      "--url",
      base,
      "--http-url",
      `http://localhost:${nginx.httpPort}`,
      "--ca",
      (cert as { caFile: string }).caFile,
    ];
    const env = { ...process.env, TP_ENV_FILE: "/nonexistent" };
    const ok = Bun.spawnSync(["bash", script, ...args], { env, stdout: "pipe", stderr: "pipe" });
    const out = ok.stdout.toString();
    expect(out, ok.stderr.toString()).toContain(" 0 failed");
    expect(ok.exitCode, out).toBe(0);
    for (const check of [
      "HTTPS serves the app",
      "HTTP redirects to HTTPS",
      "TLS 1.0/1.1 refused",
      "register",
      "login",
      "create task",
      "list tasks",
      "/metrics not exposed publicly",
    ]) {
      expect(out).toContain(`PASS  ${check}`);
    }
    // wrong HTTP port: the redirect check fails, the script says which and exits non-zero
    const bad = Bun.spawnSync(
      ["bash", script, ...args.slice(0, 4), "--http-url", "http://localhost:1", ...args.slice(6)],
      {
        env,
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout.toString()).toContain("FAIL  HTTP redirects to HTTPS");
    expect(bad.stdout.toString()).toMatch(/FAILURES:\n {2}- HTTP redirects to HTTPS/);
  });

  test("the SPA works in Chromium through the proxy under the strict CSP (no violations)", async () => {
    const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
    if (!existsSync(chromiumPath))
      throw new Error(`Chromium not found at ${chromiumPath} (apt-get install chromium)`);
    // playwright-core is a web/ dev dependency: resolve it from there, wherever bun placed it
    const { chromium } = (await import(
      Bun.resolveSync("playwright-core", join(proxyDir, "../web"))
    )) as typeof import("playwright-core");
    const { signUp, createProject } = await import("../../web/test/e2e/harness.ts");
    const browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    try {
      const context = await browser.newContext({ baseURL: base, ignoreHTTPSErrors: true });
      await context.addInitScript(() => {
        const w = window as unknown as { __csp: string[] };
        w.__csp = [];
        document.addEventListener("securitypolicyviolation", (e) =>
          w.__csp.push(`${e.violatedDirective} ${e.blockedURI}`),
        );
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("console", (msg) => {
        if (msg.type() === "error") problems.push(msg.text());
      });
      page.on("pageerror", (err) => problems.push(err.message));
      await signUp(page, "Proxy Test", `browser-${Date.now()}@example.test`);
      await createProject(page, "Through nginx");
      // Markdown (a lazy chunk: marked + DOMPurify) in a description preview and a comment, a column
      // with a WIP limit over its count, the dialog's column picker: none needs an inline style or script.
      await page.getByLabel("New task title").fill("Markdown under the CSP");
      await page.keyboard.press("Enter");
      const card = page.locator(".card", { hasText: "Markdown under the CSP" });
      await card.locator("button:not([disabled])").waitFor();
      await card.getByRole("button").click();
      const dialog = page.getByRole("dialog", { name: "Edit task" });
      await dialog
        .getByLabel("Description")
        .fill('**bold** [a link](https://example.com) <span style="color:red">styled?</span>');
      await dialog.getByText("Preview the description").click();
      await dialog.locator(".preview strong", { hasText: "bold" }).waitFor();
      await dialog.locator('.preview a[rel="noopener noreferrer"]').waitFor();
      await dialog.getByLabel("New comment", { exact: true }).fill("*emphasis* and `code`");
      await page.keyboard.press("Control+Enter");
      await dialog.locator(".comment em", { hasText: "emphasis" }).waitFor();
      expect(await dialog.evaluate((d) => d.matches(":modal"))).toBe(true);
      await dialog.getByLabel("Column", { exact: true }).selectOption({ label: "Done" });
      await dialog.getByRole("button", { name: "Save" }).click();
      await page
        .locator('section[data-status="done"] .card', { hasText: "Markdown under the CSP" })
        .waitFor();
      await page.goto("/settings");
      await page.waitForLoadState("networkidle").catch(() => {});
      const violations = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
      expect(violations).toEqual([]);
      expect(problems.filter((p) => /Content Security Policy|Refused to/i.test(p))).toEqual([]);
      expect(page.url()).toStartWith(`${base}/`);
    } finally {
      await browser.close();
    }
  }, 180_000);

  test("/internal/ready (the operators' readiness detail) is not reachable through the proxy", async () => {
    const direct = await fetch(`${apis[0]?.url}/internal/ready`);
    expect(((await direct.json()) as { checks?: unknown }).checks).toBeDefined();
    for (const path of [
      "/internal/ready",
      "/api/../internal/ready",
      "/api/%2e%2e/internal/ready",
      "/api/x/..%2finternal/ready",
      "/api/\\..\\internal/ready",
      "/%69nternal/ready",
    ]) {
      const res = await curl(`${base}${path}`, ["--path-as-is"]);
      expect(res.body, path).not.toContain("checks");
      expect(res.body, path).not.toContain("latencyMs");
    }
  });

  test("with PostgreSQL down, /api/ready through nginx is 503 with a status only", async () => {
    await pg.down();
    try {
      // several times, so that both replicas answer
      for (let i = 0; i < 4; i++) {
        const res = await curl(`${base}/api/ready`);
        expect(res.status).toBe(503);
        for (const leak of [String(pg.port), "127.0.0.1", "ECONNREFUSED", "connect", "error", "postgres"])
          expect(res.body, leak).not.toContain(leak);
        expect(res.body).toBe('{"status":"unavailable"}');
        expectSecurityHeaders(res);
      }
    } finally {
      await pg.up();
    }
    // the API renews its pool by itself: wait for the condition, not a fixed time
    const deadline = Date.now() + 20_000;
    while ((await curl(`${base}/api/ready`)).status !== 200) {
      if (Date.now() > deadline)
        throw new Error("the API did not become ready again after PostgreSQL came back");
      await Bun.sleep(200);
    }
  });

  test("failed logins hit nginx's auth rate limit (429) before the API's", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const res = await call("/api/auth/login", {
        method: "POST",
        body: JSON.stringify({ email: "nobody@example.test", password: "wrong password 123" }),
      });
      statuses.push(res.status);
    }
    expect(statuses).toContain(401);
    expect(statuses).toContain(429);
    expect(readFileSync(nginx.errorLog, "utf8")).toContain("limiting requests, excess");
  });
});

describe("an upgrade's switch through the real nginx (what scripts/upgrade.sh does to the proxy)", () => {
  let nginx: RunningNginx;
  let pg: RestartableService;
  let redis: RunningService;
  const apis: RunningApi[] = [];

  afterAll(async () => {
    await nginx?.stop();
    for (const api of apis) await api.stop();
    await redis?.stop();
    await stopPostgres(pg);
  });

  test("old replicas → new by a graceful reload, the old ones drained by SIGTERM: no request fails, every stream reconnects and misses nothing", async () => {
    cert ??= generateCert();
    dist ??= spaDist();
    pg = await startPostgres();
    redis = await startRedis();
    // The load is 50 requests/s from one address and five users: above the API's default per-address
    // and per-user limits, which a real audience spreads over many addresses.
    const env = {
      TRUST_PROXY: "true",
      RATE_LIMIT_IP: "100000",
      RATE_LIMIT_USER: "100000",
      LOG_LEVEL: "info",
    };
    for (let i = 0; i < 2; i++) apis.push(await startApi({ databaseUrl: pg.url, redisUrl: redis.url, env }));
    const address = (api: RunningApi) => `127.0.0.1:${api.port}`;
    nginx = await startNginx({
      upstreams: apis.map(address),
      distDir: dist.dir,
      certFile: cert.certFile,
      keyFile: cert.keyFile,
    });
    const base = `https://localhost:${nginx.httpsPort}`;
    const load = await startUpgradeLoad({ base, rps: 50, streams: 20 });
    const waitForTraffic = async (what: string, check: () => boolean) => {
      const deadline = Date.now() + 20_000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await Bun.sleep(100);
      }
    };
    const servedBy = (api: RunningApi) =>
      nginx.accessEntries().filter((e) => String(e.upstreamAddr).endsWith(address(api))).length;
    await waitForTraffic("both old replicas to serve", () => apis.every((api) => servedBy(api) > 100));

    const next = await startApi({ databaseUrl: pg.url, redisUrl: redis.url, env });
    const old = [...apis];
    apis.push(next);
    nginx.switchUpstreams([address(next)]);
    const before = servedBy(next);
    await waitForTraffic("the new replica to serve", () => servedBy(next) > before + 150);
    // Drain: in-flight requests finish, event streams end and their clients come back through nginx.
    const exits = await Promise.all(old.map((api) => api.stop("SIGTERM")));
    expect(exits).toEqual([0, 0]);
    const after = servedBy(next);
    await waitForTraffic("more traffic on the new replica", () => servedBy(next) > after + 150);
    const report = await load.stop();
    console.log(`upgrade switch under load: ${JSON.stringify(report)}`);
    expect({
      non2xx: report.non2xx,
      connectionErrors: report.connectionErrors,
      streamsReconnected: report.streamsReconnected,
      missedEvents: report.missedEvents,
      resyncs: report.resyncs,
    }).toEqual({ non2xx: 0, connectionErrors: 0, streamsReconnected: 20, missedEvents: 0, resyncs: 0 });
    expect(report.created).toBeGreaterThan(50);
    expect(report.achievedRps).toBeGreaterThan(40);
  }, 180_000);
});
