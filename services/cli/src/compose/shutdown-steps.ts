/** How long each shutdown step (worker, ingester, queue) may take before the crawl goes on. */
export const SHUTDOWN_STEP_MS = 30_000;

/** Whether `p` settled within `ms` (its result or error is not needed, only that it ended). */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return ended;
}

/**
 * Waits for the ingester's drain to end while the backlog keeps shrinking: true when it ended,
 * false after SHUTDOWN_STEP_MS without progress (a dead ClickHouse, say).
 */
export async function drained(
  stop: Promise<void>,
  backlog: () => Promise<number>,
  progress: (line: string) => void,
): Promise<boolean> {
  let last = Number.POSITIVE_INFINITY;
  let stuckSince = Date.now();
  for (;;) {
    if (await within(stop, 5_000)) return true;
    const now = await backlog().catch(() => last);
    if (now < last) {
      last = now;
      stuckSince = Date.now();
      progress(`storing what the round left in the stream: ${now} observations to go`);
    } else if (Date.now() - stuckSince >= SHUTDOWN_STEP_MS) return false;
  }
}
