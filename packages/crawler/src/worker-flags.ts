import v8 from 'node:v8';

/**
 * The semi-space (MB) one crawl engine runs with. A visit's state (socket, parser, machine,
 * timers) lives for its round trips, about a second. With V8's default 16 MB semi-space a
 * young-generation GC comes every ~0.1 s at 2,000 concurrent visits, so every visit's state is
 * promoted and then collected by full GCs: about a fifth of the crawler's CPU (bench:sessions,
 * BENCH_SEMI_SPACE_MB=16 to compare). With 32 MB semi-spaces much of it dies young, for 20-70
 * MB more RSS at 2,000 concurrent visits. 64 MB (V8 rounds a semi-space up to a power of two:
 * 33-64 all mean 64) saves a few percent more CPU but adds another 64 MB, which put the RSS
 * within a few MB of the 300 MB budget at 2,000 concurrent visits.
 */
export const WORKER_SEMI_SPACE_MB = 32;

/**
 * The old generation's cap (MB) of a worker process. Without one V8 takes a share of the
 * machine's memory (~4 GB of 24) and lets garbage grow toward it before it collects: a stack's
 * worker at 500 sessions and 1,500 pending dials peaked at 313-326 MB RSS on shape M, and at
 * 210-226 MB under a 256 or 512 MB cap, as fast.
 */
export const WORKER_OLD_SPACE_MB = 512;

/**
 * V8 flags a worker process should run with, set in docker-compose.yml's worker NODE_OPTIONS
 * (test/deploy/compose.test.ts holds the two together), by `npm run stack` for its workers and
 * by bench:sessions for the crawler it measures.
 */
export const WORKER_V8_FLAGS: readonly string[] = [
  `--max-old-space-size=${WORKER_OLD_SPACE_MB}`,
  `--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`,
];

/**
 * Before starting crawl threads for `threads` engines in all (each thread an isolate with its
 * share of the sessions): gives each isolate created from now on 1/threads of the engine's heap
 * caps; the running main isolate keeps its own.
 * - The semi-space: each thread allocates at 1/threads the rate, so its young GCs come as often
 *   as one engine's would. Measured with two threads at 2,000 concurrent visits, 16 MB each ran
 *   as fast as 32 MB each, for 70-80 MB less RSS.
 * - The old generation: this process's cap (--max-old-space-size, as heap_size_limit shows it:
 *   the old generation plus three semi-spaces, taken to be WORKER_SEMI_SPACE_MB's; with no cap,
 *   V8's default for the machine), shared out. V8 lets garbage grow toward its cap before it
 *   collects it: one worker at 2,000 visits peaked at ~230 MB RSS under a 256 MB cap, at 234-358
 *   MB under 512 MB, crawling as fast.
 * V8 flags, because the process-wide ones (NODE_OPTIONS) override a Worker's resourceLimits; an
 * isolate reads them when it is created, so the running ones keep theirs.
 */
export function sizeCrawlThreadHeaps(threads: number): void {
  if (threads <= 1) return;
  const semiMb = Math.max(1, Math.floor(WORKER_SEMI_SPACE_MB / threads));
  const oldMb = v8.getHeapStatistics().heap_size_limit / 2 ** 20 - 3 * WORKER_SEMI_SPACE_MB;
  v8.setFlagsFromString(`--max-semi-space-size=${semiMb}`);
  v8.setFlagsFromString(`--max-old-space-size=${Math.max(64, Math.floor(oldMb / threads))}`);
}

/**
 * A worker's CONCURRENCY shared out over its `engines` (THREADS): 1001 over 2 is 501 and 500.
 * The worker and bench:sessions share it out the same way.
 */
export function splitConcurrency(total: number, engines: number): number[] {
  const base = Math.floor(total / engines);
  return Array.from({ length: engines }, (_, i) => base + (i < total % engines ? 1 : 0));
}
