import type { CrawlerConfig } from '@bitcrawl/crawler';
import type { RoundPoll } from '@bitcrawl/seeder';
import type { loopLag } from '@bitcrawl/telemetry';

/**
 * The crawl's progress line, from the round watch's polls (four a second: a round ends when its
 * last visit does): printed every fourth poll, when every address is visited, and when stopped.
 */
export function progressPrinter(
  progress: (line: string) => void,
  crawler: CrawlerConfig,
  lag: ReturnType<typeof loopLag>,
  signal: AbortSignal,
) {
  let last = { at: Date.now(), visited: 0 };
  let polls = 0;
  let saidAllVisited = false;
  return {
    /** A new round: its rate counts from now. */
    restart() {
      last = { at: Date.now(), visited: 0 };
      polls = 0;
      saidAllVisited = false;
    },
    onPoll(p: RoundPoll) {
      polls++;
      if (polls % 4 !== 0 && !(p.allVisited && !saidAllVisited) && !signal.aborted) return;
      saidAllVisited ||= p.allVisited;
      const now = Date.now();
      const rate = ((p.visited - last.visited) * 1000) / Math.max(1, now - last.at);
      last = { at: now, visited: p.visited };
      progress(
        `visited ${p.visited}/${p.seen}  reachable ${p.reachable}  queued ${p.queued} (active ${p.active})  ${rate.toFixed(0)} visits/s  ingest backlog ${p.backlog}  loop lag p99 ${lag.sinceLast()} ms${stalledWhy(rate, p.active, crawler)}`,
      );
    },
  };
}

/**
 * Why a crawl makes no progress while visits are active: they wait on slow peers (most often a
 * getaddr answer that never comes: a node that knows fewer than 5 addresses does not answer).
 */
export function stalledWhy(rate: number, active: number, crawler: CrawlerConfig): string {
  if (rate > 0 || active === 0) return '';
  const s = Math.round(crawler.timeouts.getaddrMs / 1000);
  return `  (${active} visits waiting on slow peers: a getaddr answer is waited for up to ${s} s, --getaddr-timeout; on loopback use --profile loopback)`;
}
