// Traffic during an upgrade, and what it saw: a constant rate of mixed reads and writes (one in three
// creates a task) from several users, and open event streams that reconnect with Last-Event-ID whenever
// the server ends them, as browsers do. The report counts requests, non-2xx answers, connection errors
// and the longest request, and for the streams how many reconnected and which created tasks never
// reached them (0 missed is the goal). Used by proxy/test/proxy.suite.ts and the stack test's upgrade
// step (scripts/ci/stack/65-upgrade.sh) as:
//   bun scripts/ci/upgrade-load.ts --base https://localhost:8443 --rps 50 --streams 20 --out report.json
// It runs until SIGTERM/SIGINT (or --seconds), then waits for the streams to catch up and writes the report.

export interface UpgradeLoadOptions {
  base: string;
  /** Requests per second of the load (the stream's own requests come on top). */
  rps?: number;
  streams?: number;
  users?: number;
}

export interface UpgradeLoadReport {
  sent: number;
  non2xx: number;
  statuses: Record<string, number>;
  connectionErrors: number;
  /**
   * Requests whose kept-alive connection nginx closed as it reloaded, just as they went out, sent again
   * once as browsers do on a reused connection (counted, not hidden; connectionErrors counts the rest).
   */
  resetsResent: number;
  longestMs: number;
  achievedRps: number;
  seconds: number;
  created: number;
  streams: number;
  streamsReconnected: number;
  reconnects: number;
  missedEvents: number;
  resyncs: number;
  errors: string[];
}

const tls = { rejectUnauthorized: false } as const;
const PASSWORD = "an upgrade load passphrase 7";

interface Account {
  token: string;
}

export async function request(base: string, method: string, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
    tls,
  });
  const text = await response.text();
  // nginx's own error pages (502, 504) are HTML: a non-2xx answer, not a broken connection.
  const json = (response.headers.get("content-type") ?? "").includes("json");
  return { status: response.status, body: json && text ? JSON.parse(text) : text };
}

/** One event stream that reconnects like EventSource: a fresh ticket and Last-Event-ID each time. */
function eventStream(base: string, token: string, onTask: (id: string) => void) {
  let lastEventId: string | undefined;
  let stopped = false;
  let controller = new AbortController();
  const state = { connections: 0, resyncs: 0, errors: [] as string[] };
  const run = async () => {
    while (!stopped) {
      try {
        const ticket = await request(base, "POST", "/api/events/ticket", token);
        if (ticket.status !== 201) throw new Error(`ticket: ${ticket.status}`);
        controller = new AbortController();
        const headers: Record<string, string> = { accept: "text/event-stream" };
        if (lastEventId) headers["last-event-id"] = lastEventId;
        const response = await fetch(`${base}/api/events?ticket=${encodeURIComponent(ticket.body.ticket)}`, {
          headers,
          signal: controller.signal,
          tls,
        });
        if (response.status !== 200 || !response.body) throw new Error(`stream: ${response.status}`);
        state.connections += 1;
        const decoder = new TextDecoder();
        let buffer = "";
        let event = "message";
        let data = "";
        let id: string | undefined;
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          for (let newline = buffer.indexOf("\n"); newline >= 0; newline = buffer.indexOf("\n")) {
            const line = buffer.slice(0, newline).replace(/\r$/, "");
            buffer = buffer.slice(newline + 1);
            if (line === "") {
              if (id !== undefined) lastEventId = id;
              if (event === "resync") state.resyncs += 1;
              if (event === "task.created") onTask(JSON.parse(data).task.id);
              event = "message";
              data = "";
              id = undefined;
            } else if (line.startsWith("event:")) event = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trim();
            else if (line.startsWith("id:")) id = line.slice(3).trim();
          }
        }
      } catch (error) {
        if (!stopped) state.errors.push(String(error).slice(0, 200));
      }
      // The server ended the stream (a replica draining) or it failed: reconnect, as EventSource does.
      if (!stopped) await Bun.sleep(200);
    }
  };
  const done = run();
  return {
    state,
    async close() {
      stopped = true;
      controller.abort();
      await done;
    },
  };
}

export async function startUpgradeLoad(options: UpgradeLoadOptions) {
  const { base, rps = 50, streams = 20, users = 5 } = options;
  const accounts: Account[] = [];
  const suffix = crypto.randomUUID().slice(0, 8);
  for (let i = 0; i < users; i++) {
    const registered = await request(base, "POST", "/api/auth/register", undefined, {
      email: `upgrade-${suffix}-${i}@example.test`,
      password: PASSWORD,
      name: `Upgrade load ${i}`,
    });
    if (registered.status !== 201)
      throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
    accounts.push({ token: registered.body.accessToken });
  }
  const owner = accounts[0] as Account;
  const project = await request(base, "POST", "/api/projects", owner.token, { name: "Upgrade under load" });
  if (project.status !== 201) throw new Error(`project: ${project.status}`);
  const projectId = project.body.id as string;
  for (let i = 1; i < users; i++) {
    const email = `upgrade-${suffix}-${i}@example.test`;
    const added = await request(base, "POST", `/api/projects/${projectId}/members`, owner.token, {
      email,
      role: "editor",
    });
    if (added.status !== 202) throw new Error(`member: ${added.status}`);
  }

  const created = new Set<string>();
  const received = Array.from({ length: streams }, () => new Set<string>());
  const clients = received.map((seen, i) =>
    eventStream(base, (accounts[i % users] as Account).token, (id) => seen.add(id)),
  );
  // The streams are open before any task is written: each must then see every one.
  const openBy = Date.now() + 20_000;
  while (clients.some((c) => c.state.connections === 0)) {
    if (Date.now() > openBy) throw new Error("event streams did not open within 20 s");
    await Bun.sleep(50);
  }

  const report: UpgradeLoadReport = {
    sent: 0,
    non2xx: 0,
    statuses: {},
    connectionErrors: 0,
    resetsResent: 0,
    longestMs: 0,
    achievedRps: 0,
    seconds: 0,
    created: 0,
    streams,
    streamsReconnected: 0,
    reconnects: 0,
    missedEvents: 0,
    resyncs: 0,
    errors: [],
  };
  const inFlight = new Set<Promise<void>>();
  const one = async (n: number) => {
    const account = accounts[n % users] as Account;
    const started = performance.now();
    try {
      const write = n % 3 === 0;
      const send = () =>
        write
          ? request(base, "POST", "/api/tasks", account.token, { projectId, title: `load ${n}` })
          : request(base, "GET", `/api/tasks?projectId=${projectId}&limit=20`, account.token);
      const res = await send().catch((error: unknown) => {
        if ((error as { code?: string }).code !== "ECONNRESET") throw error;
        report.resetsResent += 1;
        return send();
      });
      report.statuses[res.status] = (report.statuses[res.status] ?? 0) + 1;
      if (res.status < 200 || res.status > 299) report.non2xx += 1;
      else if (write) created.add(res.body.id);
    } catch (error) {
      report.connectionErrors += 1;
      if (report.errors.length < 20) report.errors.push(String(error).slice(0, 200));
    }
    report.longestMs = Math.max(report.longestMs, performance.now() - started);
  };
  let running = true;
  const startedAt = performance.now();
  const loop = (async () => {
    // A fixed schedule that never catches up in a burst: a late tick is skipped, and achievedRps says so.
    for (let n = 0; running; n++) {
      const due = startedAt + (n * 1000) / rps;
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
      else if (-wait > 1000 / rps) continue;
      report.sent += 1;
      const p = one(n).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  })();

  return {
    async stop(): Promise<UpgradeLoadReport> {
      running = false;
      await loop;
      await Promise.all(inFlight);
      report.seconds = (performance.now() - startedAt) / 1000;
      report.achievedRps = report.sent / report.seconds;
      report.created = created.size;
      // Events of the last writes may still be on their way: wait until every stream has them (or 15 s).
      const until = Date.now() + 15_000;
      while (Date.now() < until && received.some((seen) => [...created].some((id) => !seen.has(id))))
        await Bun.sleep(100);
      for (const seen of received) report.missedEvents += [...created].filter((id) => !seen.has(id)).length;
      await Promise.all(clients.map((c) => c.close()));
      for (const client of clients) {
        report.reconnects += Math.max(0, client.state.connections - 1);
        if (client.state.connections > 1) report.streamsReconnected += 1;
        report.resyncs += client.state.resyncs;
        report.errors.push(...client.state.errors.slice(0, 3));
      }
      return report;
    },
  };
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const base = option("base");
  if (!base) {
    console.error(
      "usage: bun scripts/ci/upgrade-load.ts --base URL [--rps N] [--streams N] [--users N] [--seconds N] [--ready FILE] [--out FILE]",
    );
    process.exit(2);
  }
  const load = await startUpgradeLoad({
    base,
    rps: Number(option("rps") ?? 50),
    streams: Number(option("streams") ?? 20),
    users: Number(option("users") ?? 5),
  });
  const ready = option("ready");
  if (ready) await Bun.write(ready, "ready\n");
  const seconds = option("seconds");
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
    if (seconds) setTimeout(resolve, Number(seconds) * 1000);
  });
  const report = await load.stop();
  const text = JSON.stringify(report, null, 2);
  const out = option("out");
  if (out) await Bun.write(out, text);
  else console.log(text);
  process.exit(0);
}
