import { addFlags, fromFlags } from '@bitcrawl/config';
import type { Command } from 'commander';

/** `bitcrawl status`: queue depth by state, round progress, ingest backlog, visits/s. */
export function register(program: Command): void {
  const cmd = program
    .command('status')
    .description('show queue depth, round progress, ingest backlog and visit rate');
  addFlags(cmd, 'status').action(async (raw: Record<string, unknown>) => {
    // --redis, else $REDIS_URL (read here, when the command runs), else the local default
    const v = fromFlags('status', raw, process.env);
    const o = { json: v.json, watch: v.watch, interval: v.interval, redis: v.redisUrl };
    const { ensureRedisReachable } = await import('../reachability.ts');
    await ensureRedisReachable(o.redis);
    const { Redis } = await import('../redis-client.ts');
    const { createCrawlQueue, createStatusSampler, Frontier } = await import('@bitcrawl/queue');
    const bull = new Redis(o.redis, { maxRetriesPerRequest: null });
    const redis = new Redis(o.redis, { maxRetriesPerRequest: 2 });
    const queue = createCrawlQueue(bull);
    const sampleStatus = createStatusSampler({ redis, frontier: new Frontier(redis), crawlQueue: queue });
    let stop = false;
    // Ctrl-C ends the wait between samples at once, not after the rest of the interval.
    let wake: (() => void) | undefined;
    const onSignal = () => {
      stop = true;
      wake?.();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      do {
        const sample = await sampleStatus();
        const {
          round,
          progress,
          queue: queueCounts,
          ingestBacklog: backlog,
          visitsPerSecond: rate,
          at: now,
        } = sample;
        if (o.json) process.stdout.write(`${JSON.stringify(sample)}\n`);
        else {
          const q = Object.entries(queueCounts)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ');
          process.stdout.write(
            `${new Date(now).toISOString()}  round ${round ?? '-'}  visited ${progress?.visited ?? 0}/${progress?.seen ?? 0}` +
              `  reachable ${progress?.ok ?? 0}  jobs: ${q}  ingest backlog ${backlog}` +
              (rate === null ? '' : `  ${rate.toFixed(1)} visits/s`) +
              '\n',
          );
        }
        if (o.watch && !stop)
          await new Promise<void>((r) => {
            const timer = setTimeout(r, o.interval * 1000);
            wake = () => {
              clearTimeout(timer);
              r();
            };
          });
      } while (o.watch && !stop);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await queue.close();
      bull.disconnect();
      redis.disconnect();
    }
  });
}
