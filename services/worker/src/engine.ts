import { type CrawlerConfig, createVisitor } from '@bitcrawl/crawler';
import { type CrawlJob, createCrawlQueue, Frontier, roundTtlMsFor } from '@bitcrawl/queue';
import type { Logger, Metrics } from '@bitcrawl/telemetry';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { WorkerEnv } from './env.ts';
import { startWorker, type WorkerConfig } from './worker.ts';

/** One crawl engine: its own Redis connections, crawl queue, frontier, visitor and BullMQ worker. */
export interface Engine {
  crawlQueue: Queue<CrawlJob>;
  /** Jobs this engine has completed (its share of the work, for its stop log). */
  jobsCompleted(): number;
  /** Finishes (or after the grace, hands back) the in-flight visits, then closes its connections. */
  close(): Promise<void>;
}

/**
 * Wires one engine from the parsed environment and the configs derived from it. The worker
 * process runs one of these on its main thread, or one per crawl thread (THREADS > 1).
 */
export function startEngine(
  e: WorkerEnv,
  configs: { crawler: CrawlerConfig; worker: WorkerConfig },
  deps: { logger: Logger; metrics: Metrics },
): Engine {
  const bull = new Redis(e.REDIS_URL, { maxRetriesPerRequest: null });
  const redis = new Redis(e.REDIS_URL);
  const crawlQueue = createCrawlQueue(bull);
  const frontier = new Frontier(redis, {
    reachableMs: e.REVISIT_REACHABLE_MS,
    failBaseMs: e.REVISIT_FAIL_BASE_MS,
    failMaxMs: e.REVISIT_FAIL_MAX_MS,
    roundTtlMs: e.ROUND_TTL_MS ?? roundTtlMsFor(e.ROUND_INTERVAL_MS),
    gossipCaps: { perHost: e.MAX_ENDPOINTS_PER_IP, perSource: e.MAX_NEW_PER_SOURCE },
  });
  const running = startWorker(
    {
      connection: bull,
      crawlQueue,
      frontier,
      visitor: createVisitor(configs.crawler, deps),
      logger: deps.logger,
      metrics: deps.metrics,
    },
    configs.worker,
  );
  let completed = 0;
  running.worker.on('completed', () => {
    completed++;
  });
  return {
    crawlQueue,
    jobsCompleted: () => completed,
    async close() {
      await running.close();
      await crawlQueue.close();
      bull.disconnect();
      redis.disconnect();
    },
  };
}
