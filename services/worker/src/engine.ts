import { createVisitor } from '@bitcrawl/crawler';
import { type CrawlJob, coalesceWrites, createCrawlQueue, Frontier } from '@bitcrawl/queue';
import type { Logger, Metrics } from '@bitcrawl/telemetry';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { startCommitThread } from './commit-thread.ts';
import type { VisitCommitter } from './committer.ts';
import type { EngineConfig } from './config.ts';
import { startWorker } from './worker.ts';

/** One crawl engine: its own Redis connections, crawl queue, frontier, visitor and BullMQ worker. */
export interface Engine {
  crawlQueue: Queue<CrawlJob>;
  /** Visits this engine's completed jobs made (its share of the work, for its stop log). */
  visitsDone(): number;
  /** Whether its commits run on a commit thread. */
  commitThread: boolean;
  /** Rejects when the engine's commit thread died (its process must stop; its jobs are retried). */
  died: Promise<never>;
  /** Finishes (or after the grace, hands back) the in-flight visits, then closes its connections. */
  close(): Promise<void>;
}

export interface EngineDeps {
  logger: Logger;
  metrics: Metrics;
  /**
   * The script a commit thread runs (one that runs ./thread-entry.ts): with it and
   * config.worker.commitThread, the engine commits on a thread of its own. Without it, on its loop.
   */
  threadEntry?: string;
}

/**
 * Wires one engine from its config. The worker process runs one of these on its main thread,
 * or one per crawl thread (THREADS > 1); `bitcrawl crawl` runs one beside its seeder and ingester.
 */
export function startEngine(config: EngineConfig, deps: EngineDeps): Engine {
  // Its commands leave a turn at a time: one syscall, not one per command (coalesceWrites).
  const bull = coalesceWrites(new Redis(config.redisUrl, { maxRetriesPerRequest: null }));
  const redis = coalesceWrites(new Redis(config.redisUrl));
  const crawlQueue = createCrawlQueue(bull);
  const frontier = new Frontier(redis, config.frontier);
  let committer: VisitCommitter | undefined; // undefined: on this loop
  let died = new Promise<never>(() => {});
  if (config.worker.commitThread && deps.threadEntry) {
    const thread = startCommitThread(deps.threadEntry, {
      redisUrl: config.redisUrl,
      frontier: config.frontier,
    });
    committer = thread;
    died = thread.died;
  }
  const running = startWorker(
    {
      connection: bull,
      crawlQueue,
      frontier,
      ...(committer ? { committer } : {}),
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
    commitThread: committer !== undefined,
    died,
    async close() {
      await running.close();
      await committer?.close();
      await crawlQueue.close();
      bull.disconnect();
      redis.disconnect();
    },
  };
}
