// Retry delays: exponential from `baseMs` (attempt 1 waits baseMs), capped at one hour, with ±20 %
// jitter so jobs that failed together (an SMTP server down) do not all come back at the same moment.
export const MAX_RETRY_DELAY_MS = 3_600_000;

export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), MAX_RETRY_DELAY_MS);
  return Math.round(exponential * (0.8 + 0.4 * random()));
}
