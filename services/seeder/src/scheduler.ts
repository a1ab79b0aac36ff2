import { PREFIX, SEED_QUEUE } from '@bitcrawl/queue';
import { type Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { newCrawlId, type SeedDeps, type SeederConfig, seedRound } from './seeder.ts';

/**
 * The long-running seeder: a BullMQ job scheduler fires a "reseed" job every reseedEveryMs,
 * and each run starts a new round. Only one seeder needs to run; several are harmless
 * (the scheduler is one key in Redis; each run it fires is one round).
 */
export async function runSeeder(
  deps: SeedDeps & { connection: Redis; seedQueue: Queue },
  config: SeederConfig,
): Promise<{ close(): Promise<void> }> {
  const worker = new Worker(
    SEED_QUEUE,
    async (job) => {
      // Housekeeping first: revisit state older than the longest back-off is forgotten.
      const pruned = await deps.frontier.prune();
      if (pruned > 0) deps.logger.info({ pruned }, 'pruned stale revisit state');
      // Named after the job's creation, not this attempt: a retried job (it failed after
      // starting its round) goes on seeding the same round instead of starting another.
      const crawlId = newCrawlId(job.timestamp);
      return seedRound(deps, config, crawlId);
    },
    { connection: deps.connection, prefix: PREFIX, concurrency: 1 },
  );
  worker.on('failed', (_job, err) => deps.logger.error({ err: err.message }, 'reseed failed'));
  if (config.reseedEveryMs > 0) {
    await deps.seedQueue.upsertJobScheduler(
      'reseed',
      { every: config.reseedEveryMs },
      { name: 'reseed', data: { reason: 'schedule' } },
    );
  } else {
    // 0 means one round and no schedule: also drop a schedule an earlier run left in Redis,
    // which would otherwise go on starting rounds at its old interval.
    await deps.seedQueue.removeJobScheduler('reseed');
    await deps.seedQueue.add('reseed', { reason: 'manual' });
  }
  return { close: () => worker.close() };
}
