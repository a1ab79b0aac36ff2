import { type CrawlJob, createStatusSampler, type Frontier, type StatusSample } from '@bitcrawl/queue';
import { roundSummary, type Store } from '@bitcrawl/storage';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface Summary extends StatusSample {
  reachableByNetwork: { network: string; reachable: number; visited: number }[] | null;
}

/** The crawl's headline numbers: live from Redis, per-network counts from ClickHouse when configured. */
export function createSummarizer(deps: {
  redis: Redis;
  frontier: Frontier;
  crawlQueue: Queue<CrawlJob>;
  store?: Store;
}) {
  const sample = createStatusSampler(deps);
  return async (): Promise<Summary> => {
    const s = await sample();
    let reachableByNetwork: Summary['reachableByNetwork'] = null;
    if (deps.store && s.round) {
      const rows = await roundSummary(deps.store, s.round).catch(() => []);
      reachableByNetwork = rows.map((r) => ({
        network: r.network,
        reachable: Number(r.reachable),
        visited: Number(r.visited),
      }));
    }
    return { ...s, reachableByNetwork };
  };
}
