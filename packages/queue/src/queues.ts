import { Queue, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { CRAWL_QUEUE, type CrawlJob, PREFIX, SEED_QUEUE } from './contract.ts';

/**
 * Job retention is bounded so Redis memory stays flat over long crawls: finished jobs are
 * dropped (the observation stream is the record), and BullMQ's event stream is trimmed.
 */
export const JOB_RETENTION = {
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 5000, age: 24 * 3600 },
} as const;

export function queueOptions(connection: Redis): QueueOptions {
  return {
    connection,
    prefix: PREFIX,
    streams: { events: { maxLen: 2000 } },
    defaultJobOptions: { ...JOB_RETENTION, attempts: 5, backoff: { type: 'exponential', delay: 2000 } },
  };
}

export function createCrawlQueue(connection: Redis): Queue<CrawlJob> {
  return new Queue<CrawlJob>(CRAWL_QUEUE, queueOptions(connection));
}

export function createSeedQueue(connection: Redis): Queue {
  return new Queue(SEED_QUEUE, queueOptions(connection));
}
