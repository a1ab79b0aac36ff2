import { monitorEventLoopDelay } from 'node:perf_hooks';

/** The p99 of this thread's event-loop delay (10 ms resolution), from now until a reset. */
export function loopDelay() {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return {
    p99Ms: () => Math.round(h.percentile(99) / 1e6),
    reset: () => h.reset(),
    stop: () => h.disable(),
  };
}

/**
 * This thread's event-loop delay over the whole run, and since the last `sinceLast()`: `crawl`
 * prints both. Every service exports the whole run's p99 (loopDelay) as
 * `bitcrawl_event_loop_lag_p99_seconds`, since prom-client's own p99 restarts at each scrape.
 */
export function loopLag() {
  const all = loopDelay();
  const recent = loopDelay();
  return {
    sinceLast() {
      const v = recent.p99Ms();
      recent.reset();
      return v;
    },
    overall: all.p99Ms,
    stop() {
      all.stop();
      recent.stop();
    },
  };
}
