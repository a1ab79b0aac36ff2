import type { Visitor } from '@bitcrawl/crawler';
import { formatEndpoint } from '@bitcrawl/protocol';
import { CRAWL_QUEUE, type CrawlJob, crawlJobSchema, type Frontier, jobIdFor, PREFIX } from '@bitcrawl/queue';
import type { Logger, Metrics } from '@bitcrawl/telemetry';
import { type Job, type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const workerConfigSchema = z.object({
  concurrency: z.number().int().min(1).max(10_000).default(500),
  /** Longer than the longest visit is not needed (locks are renewed), but a dead worker's jobs wait this long. */
  lockDurationMs: z.number().int().min(1000).default(30_000),
  stalledIntervalMs: z.number().int().min(1000).default(30_000),
  /** On SIGTERM, how long in-flight visits may finish before they are handed back. */
  shutdownGraceMs: z.number().int().min(0).default(20_000),
});
export type WorkerConfig = z.output<typeof workerConfigSchema>;

export interface WorkerDeps {
  connection: Redis;
  crawlQueue: Queue<CrawlJob>;
  frontier: Frontier;
  visitor: Visitor;
  logger: Logger;
  metrics?: Metrics;
}

/**
 * One crawl job: visit, enqueue what the node told us that this round has not seen, then
 * record the observation (once per round, atomically with the stream append). A job for an
 * address already recorded (re-delivery after a crash) does nothing. Peers that fail are
 * normal results; only Redis/infrastructure errors throw and are retried by BullMQ.
 */
export async function processCrawlJob(deps: WorkerDeps, job: Job<CrawlJob>): Promise<string> {
  const data = crawlJobSchema.parse(job.data);
  const { crawlId, ...target } = data;
  if (await deps.frontier.isRecorded(crawlId, target)) return 'already-recorded';
  const obs = await deps.visitor.visit(target, { crawlId });
  const candidates = obs.addrs.map((a) => ({ network: a.network, host: a.host, port: a.port }));
  const fresh = await deps.frontier.admit(crawlId, candidates);
  // A re-delivered job may have died between admitting and enqueueing: enqueue every
  // admitted-but-unrecorded address again (same job ids, so live jobs are not duplicated).
  const redelivered = job.attemptsMade > 0 || (job.stalledCounter ?? 0) > 0;
  const toEnqueue = redelivered ? await deps.frontier.pending(crawlId, candidates) : fresh;
  if (toEnqueue.length > 0) {
    const source = formatEndpoint(target);
    await deps.crawlQueue.addBulk(
      toEnqueue.map((a) => ({
        name: 'visit',
        data: { crawlId, ...a, source },
        opts: { jobId: jobIdFor(crawlId, a) },
      })),
    );
  }
  deps.metrics?.addressesEnqueued.inc(fresh.length);
  await deps.frontier.record(obs);
  return obs.outcome;
}

export interface RunningWorker {
  worker: Worker<CrawlJob>;
  /** Stops taking jobs; waits up to shutdownGraceMs for in-flight visits, then hands the rest back. */
  close(): Promise<void>;
}

export function startWorker(deps: WorkerDeps, config: WorkerConfig): RunningWorker {
  const worker = new Worker<CrawlJob>(CRAWL_QUEUE, (job) => processCrawlJob(deps, job), {
    connection: deps.connection,
    prefix: PREFIX,
    concurrency: config.concurrency,
    lockDuration: config.lockDurationMs,
    stalledInterval: config.stalledIntervalMs,
    maxStalledCount: 10,
    removeOnComplete: { count: 1000 },
    removeOnFail: { count: 5000 },
  });
  worker.on('failed', (job, err) => deps.logger.warn({ job: job?.id, err: err.message }, 'crawl job failed'));
  worker.on('error', (err) => deps.logger.error({ err: err.message }, 'worker error'));
  return {
    worker,
    async close() {
      let timer: NodeJS.Timeout | undefined;
      const graceful = worker.close();
      const expired = new Promise<'expired'>((r) => {
        timer = setTimeout(() => r('expired'), config.shutdownGraceMs);
      });
      if ((await Promise.race([graceful, expired])) === 'expired') {
        deps.logger.warn('shutdown grace expired: handing in-flight jobs back');
        await worker.close(true);
      }
      clearTimeout(timer);
    },
  };
}
