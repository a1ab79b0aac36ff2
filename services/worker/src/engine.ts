import { createVisitor } from '@bitcrawl/crawler';
import { type CrawlJob, coalesceWrites, createCrawlQueue, Frontier } from '@bitcrawl/queue';
import type { Logger, Metrics } from '@bitcrawl/telemetry';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { EngineConfig } from './config.ts';
import { startWorker } from './worker.ts';

/** One crawl engine: its own Redis connections, crawl queue, frontier, visitor and BullMQ worker. */
export interface Engine {
  crawlQueue: Queue<CrawlJob>;
  /** Visits this engine's completed jobs made (its share of the work, for its stop log). */
  visitsDone(): number;
  /** Finishes (or after the grace, hands back) the in-flight visits, then closes its connections. */
  close(): Promise<void>;
}

/**
 * Wires one engine from its config. The worker process runs one of these on its main thread,
 * or one per crawl thread (THREADS > 1); `bitcrawl crawl` runs one beside its seeder and ingester.
 */
export function startEngine(config: EngineConfig, deps: { logger: Logger; metrics: Metrics }): Engine {
  // Its commands leave a turn at a time: one syscall, not one per command (coalesceWrites).
  const bull = coalesceWrites(new Redis(config.redisUrl, { maxRetriesPerRequest: null }));
  const redis = coalesceWrites(new Redis(config.redisUrl));
  const crawlQueue = createCrawlQueue(bull);
  const frontier = new Frontier(redis, config.frontier);
  const running = startWorker(
    {
      connection: bull,
      crawlQueue,
      frontier,
      visitor: createVisitor(config.crawler, deps),
      logger: deps.logger,
      metrics: deps.metrics,
    },
    config.worker,
  );
  let completed = 0;
  // A job completes with its visits' outcomes (processCrawlJob).
  running.worker.on('completed', (_job, outcomes: string[]) => {
    completed += outcomes.length;
  });
  return {
    crawlQueue,
    visitsDone: () => completed,
    async close() {
      await running.close();
      await crawlQueue.close();
      bull.disconnect();
      redis.disconnect();
    },
  };
}
