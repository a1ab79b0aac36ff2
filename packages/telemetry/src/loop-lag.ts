import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * This thread's event-loop delay at 10 ms resolution: over the whole run, and since the last
 * `sinceLast()`. `crawl` prints both; every service exports the whole run's p99 as
 * `bitcrawl_event_loop_lag_p99_seconds` (prom-client's own p99 restarts at each scrape).
 */
export function loopLag() {
  const all = monitorEventLoopDelay({ resolution: 10 });
  const recent = monitorEventLoopDelay({ resolution: 10 });
  all.enable();
  recent.enable();
  const ms = (h: IntervalHistogram) => Math.round(h.percentile(99) / 1e6);
  return {
    sinceLast() {
      const v = ms(recent);
      recent.reset();
      return v;
    },
    overall: () => ms(all),
    stop() {
      all.disable();
      recent.disable();
    },
  };
}
