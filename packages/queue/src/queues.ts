import { type Endpoint, endpointId } from '@bitcrawl/protocol';
import { Queue, type QueueOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  CRAWL_QUEUE,
  type CrawlJob,
  type CrawlTarget,
  jobIdFor,
  PREFIX,
  SEED_QUEUE,
  visitJobs,
} from './contract.ts';
import type { Frontier } from './frontier.ts';

/**
 * Job retention is bounded so Redis memory stays flat over long crawls: finished jobs are
 * dropped (the observation stream is the record; a slice enqueued again after its job is gone
 * finds its addresses recorded, and BEGIN skips them). A hundred completed jobs is the recent
 * history the dashboard shows: a thousand held ~50 bytes per address of a 60,000-address round's
 * Redis (bench:round), for history a busy crawl replaces within seconds. Failed jobs are kept
 * longer: they are what a round reports as left unvisited.
 *
 * The worker applies it (WorkerOptions), not each job: options given to a job are stored in its
 * record, ~100 bytes more per queued job.
 */
export const JOB_RETENTION = {
  removeOnComplete: { count: 100, age: 3600 },
  removeOnFail: { count: 5000, age: 24 * 3600 },
} as const;

export function queueOptions(connection: Redis): QueueOptions {
  return {
    connection,
    prefix: PREFIX,
    streams: { events: { maxLen: 2000 } },
    defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 2000 } },
  };
}

export function createCrawlQueue(connection: Redis): Queue<CrawlJob> {
  return new Queue<CrawlJob>(CRAWL_QUEUE, queueOptions(connection));
}

export function createSeedQueue(connection: Redis): Queue {
  return new Queue(SEED_QUEUE, queueOptions(connection));
}

/**
 * Re-enqueues every address seen in the round but not yet recorded that has no job in the
 * crawl queue (a job lost to a crash outside the frontier's outbox, e.g. a seeder that died
 * between admitting and enqueueing). Safe at any time: job ids de-duplicate live jobs.
 * Returns how many jobs it added, and how many unvisited addresses still have a job: once
 * nothing is queued those are failed jobs (retries used up), which end the round unvisited.
 * Only the first address of a failed job of several is named by its id (visitJobs): the others
 * are given one more job each, and count once that has failed too.
 */
export async function requeueLost(
  deps: { frontier: Frontier; crawlQueue: Queue<CrawlJob>; redis: Redis },
  crawlId: string,
): Promise<{ added: number; withJob: number }> {
  let added = 0;
  let withJob = 0;
  for await (const page of deps.frontier.unvisited(crawlId)) {
    const ids = page.map((a) => jobIdFor(crawlId, a));
    const pipe = deps.redis.pipeline();
    for (const id of ids) pipe.exists(deps.crawlQueue.toKey(id));
    const exists = (await pipe.exec()) ?? [];
    const lost = page.filter((_, i) => exists[i]?.[1] === 0);
    withJob += page.length - lost.length;
    if (lost.length === 0) continue;
    // One job each: the next pass looks for every address's own job id.
    await deps.crawlQueue.addBulk(visitJobs(crawlId, 'requeue', lost, 1));
    added += lost.length;
  }
  return { added, withJob };
}

/**
 * A round's addresses whose jobs failed for good, counted by network (among the newest 100,000
 * failed jobs). An address counts once, though a failed job of several gives its others a job
 * of their own (requeueLost) that may fail too.
 */
export async function failedJobsByNetwork(
  crawlQueue: Queue<CrawlJob>,
  crawlId: string,
): Promise<Record<string, number>> {
  const failed = new Map<string, string>();
  for (const job of await crawlQueue.getFailed(0, 99_999)) {
    // Read leniently: a job can have failed because its data was bad (or of the old shape).
    const data = job?.data as (Partial<CrawlJob> & Partial<CrawlTarget>) | undefined;
    if (data?.crawlId !== crawlId) continue;
    for (const t of Array.isArray(data.targets) ? data.targets : [data])
      failed.set(endpointId(t as Endpoint), String(t.network));
  }
  const out: Record<string, number> = {};
  for (const network of failed.values()) out[network] = (out[network] ?? 0) + 1;
  return out;
}
