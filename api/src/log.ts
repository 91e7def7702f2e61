// Structured logs: one JSON object per line on stdout. Callers pass fields, never raw requests,
// so secrets (passwords, tokens, cookies, Authorization) have no path into a log line.
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
type Fields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

export function errorFields(error: unknown): Fields {
  if (error instanceof Error)
    return { err: { message: error.message, name: error.name, stack: error.stack } };
  return { err: { message: String(error) } };
}

/**
 * Lines logged in the same turn of the event loop leave in one write to stdout: under load one system
 * call carries the lines of many requests. Whatever is pending is written when the process exits.
 */
export function batchedStdout(): (line: string) => void {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = `${pending.join("\n")}\n`;
    pending = [];
    process.stdout.write(text);
  };
  process.on("exit", flush);
  return (line) => {
    if (pending.push(line) === 1) setImmediate(flush);
  };
}

export function createLogger(level: LogLevel, write: (line: string) => void = batchedStdout()): Logger {
  const threshold = RANK[level];
  const emit = (lineLevel: Exclude<LogLevel, "silent">, msg: string, fields?: Fields) => {
    if (RANK[lineLevel] < threshold) return;
    write(JSON.stringify({ time: new Date().toISOString(), level: lineLevel, msg, ...fields }));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}
