// A real SMTP server on loopback for tests (the smtp-server package), not a mocked transport. hold()
// stops every transaction at RCPT TO (before any message data) until release(): a test can kill a
// client in the middle of its SMTP transactions and know the server never accepted those messages.
import { SMTPServer, type SMTPServerSession } from "smtp-server";
import { freePort } from "./services.ts";

export interface ReceivedMail {
  raw: string;
  /** Header names lower-cased, values unfolded; repeated headers keep every value. */
  headers: Array<[string, string]>;
  header(name: string): string | undefined;
  messageId: string;
  envelopeTo: string[];
  subject: string;
}

export interface TestSmtp {
  url: string;
  port: number;
  received: ReceivedMail[];
  /** Transactions whose client went away before the server accepted the message (not delivered). */
  abandoned: number;
  /** Transactions in progress right now (after MAIL FROM, before the server's final reply). */
  readonly sending: number;
  /** Transactions waiting at RCPT TO because of hold(). */
  readonly held: number;
  /** Holds every transaction at RCPT TO (before the message is sent) until release(). */
  hold(): void;
  release(): void;
  /** Resolves once at least `count` messages (matching `filter`) arrived; rejects after timeoutMs. */
  waitFor(
    count: number,
    filter?: (mail: ReceivedMail) => boolean,
    timeoutMs?: number,
  ): Promise<ReceivedMail[]>;
  /** Answer the next `count` messages with this SMTP code (e.g. 451 temporary, 550 permanent). */
  failNext(count: number, code: number): void;
  close(): Promise<void>;
}

function parseHeaders(raw: string): Array<[string, string]> {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? "";
  const lines = head.split(/\r?\n/);
  const headers: Array<[string, string]> = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const last = headers[headers.length - 1] as [string, string];
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const at = line.indexOf(":");
    if (at > 0) headers.push([line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()]);
  }
  return headers;
}

export async function startTestSmtp(
  options: { replyDelayMs?: number; host?: string; port?: number } = {},
): Promise<TestSmtp> {
  // Loopback by default; the stack test's sink listens on the docker bridge (smtp-sink.ts).
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? (await freePort());
  const received: ReceivedMail[] = [];
  const closed = new Set<string>();
  const inTransaction = new Set<string>();
  let holding = false;
  let waiting: Array<{ session: string; go: () => void }> = [];
  let failures: { count: number; code: number } = { count: 0, code: 0 };
  const state = { abandoned: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    banner: "taskplatform test SMTP",
    size: 10 * 1024 * 1024,
    logger: false,
    onClose(session: SMTPServerSession) {
      closed.add(session.id);
      if (inTransaction.delete(session.id)) state.abandoned += 1;
    },
    onMailFrom(_address, session, callback) {
      inTransaction.add(session.id);
      callback();
    },
    onRcptTo(_address, session, callback) {
      if (holding) waiting.push({ session: session.id, go: () => callback() });
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const finish = () => {
          if (closed.has(session.id)) return callback(new Error("connection closed"));
          inTransaction.delete(session.id);
          if (failures.count > 0) {
            failures.count -= 1;
            const error = Object.assign(new Error(`test server refuses (${failures.code})`), {
              responseCode: failures.code,
            });
            return callback(error);
          }
          const raw = Buffer.concat(chunks).toString("utf8");
          const headers = parseHeaders(raw);
          const header = (name: string) => headers.find(([key]) => key === name.toLowerCase())?.[1];
          received.push({
            raw,
            headers,
            header,
            messageId: header("message-id") ?? "",
            envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            subject: header("subject") ?? "",
          });
          callback(null, "queued");
        };
        if (options.replyDelayMs) setTimeout(finish, options.replyDelayMs);
        else finish();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  server.on("error", () => {});
  return {
    url: `smtp://${host}:${port}`,
    port,
    received,
    get abandoned() {
      return state.abandoned;
    },
    get sending() {
      return inTransaction.size;
    },
    get held() {
      return waiting.filter((w) => !closed.has(w.session)).length;
    },
    hold() {
      holding = true;
    },
    release() {
      holding = false;
      const go = waiting;
      waiting = [];
      for (const w of go) w.go();
    },
    async waitFor(count, filter = () => true, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const matching = received.filter(filter);
        if (matching.length >= count) return matching;
        if (Date.now() > deadline)
          throw new Error(`expected ${count} mails, received ${matching.length} within ${timeoutMs} ms`);
        await Bun.sleep(20);
      }
    },
    failNext(count, code) {
      failures = { count, code };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
