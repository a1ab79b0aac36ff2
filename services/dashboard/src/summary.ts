import type { CrawlJob } from '@bitcrawl/queue';
import { type Frontier, ingestBacklog } from '@bitcrawl/queue';
import { queryRows, type Store } from '@bitcrawl/storage';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';

export interface Summary {
  at: number;
  round: string | null;
  progress: { seen: number; visited: number; ok: number } | null;
  queue: Record<string, number>;
  ingestBacklog: number;
  visitsPerSecond: number | null;
  reachableByNetwork: { network: string; reachable: number; visited: number }[] | null;
}

/** The crawl's headline numbers: live from Redis, per-network counts from ClickHouse when configured. */
export function createSummarizer(deps: {
  redis: Redis;
  frontier: Frontier;
  crawlQueue: Queue<CrawlJob>;
  store?: Store;
}) {
  let prev: { at: number; visited: number } | undefined;
  return async (): Promise<Summary> => {
    const round = await deps.frontier.currentRound();
    const progress = round ? await deps.frontier.progress(round) : null;
    const queue = await deps.crawlQueue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'completed',
      'failed',
    );
    const at = Date.now();
    const visitsPerSecond =
      prev && progress && at > prev.at ? ((progress.visited - prev.visited) * 1000) / (at - prev.at) : null;
    if (progress) prev = { at, visited: progress.visited };
    let reachableByNetwork: Summary['reachableByNetwork'] = null;
    if (deps.store && round && /^[A-Za-z0-9._-]+$/.test(round)) {
      const rows = await queryRows<{ network: string; reachable: string; visited: string }>(
        deps.store,
        `SELECT network, reachable, visited FROM round_summary WHERE crawl_id = '${round}' ORDER BY network`,
      ).catch(() => []);
      reachableByNetwork = rows.map((r) => ({
        network: r.network,
        reachable: Number(r.reachable),
        visited: Number(r.visited),
      }));
    }
    return {
      at,
      round,
      progress,
      queue,
      ingestBacklog: await ingestBacklog(deps.redis),
      visitsPerSecond,
      reachableByNetwork,
    };
  };
}
