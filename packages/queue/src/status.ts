import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CrawlJob } from './contract.ts';
import type { Frontier } from './frontier.ts';
import { ingestBacklog } from './observation-stream.ts';

export interface StatusSample {
  at: number;
  round: string | null;
  progress: { seen: number; visited: number; ok: number } | null;
  queue: Record<string, number>;
  ingestBacklog: number;
  /** Visits per second since the previous sample (null on the first). */
  visitsPerSecond: number | null;
}

/** Samples the crawl's live state from Redis; used by `bitcrawl status` and the dashboard. */
export function createStatusSampler(deps: { redis: Redis; frontier: Frontier; crawlQueue: Queue<CrawlJob> }) {
  let prev: { at: number; round: string; visited: number } | undefined;
  return async (): Promise<StatusSample> => {
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
    // A new round counts its visits from 0: no rate across the change (it came out hugely negative).
    const visitsPerSecond =
      prev && progress && round === prev.round && at > prev.at
        ? ((progress.visited - prev.visited) * 1000) / (at - prev.at)
        : null;
    if (progress && round) prev = { at, round, visited: progress.visited };
    return { at, round, progress, queue, ingestBacklog: await ingestBacklog(deps.redis), visitsPerSecond };
  };
}
