import { splitConcurrency } from '@bitcrawl/crawler/worker-flags';
import type { createMetrics } from '@bitcrawl/telemetry';
import { engineConfig, startEngine, startEngineThreads } from '@bitcrawl/worker';
import type { LocalCrawlOptions } from './local-crawl.ts';

/**
 * The crawl's engines, as `bitcrawl worker` runs them (their own Redis connections): one on this
 * thread and, with o.threads > 1, the others on crawl threads, which spread the visits' CPU over
 * the machine's cores (one engine's event loop is what limits a round on two cores: measured,
 * the crawl used ~0.8 of them).
 */
export async function startEngines(
  o: Pick<
    LocalCrawlOptions,
    'crawler' | 'worker' | 'revisit' | 'threads' | 'workerThreadEntry' | 'logger' | 'logLevel'
  >,
  redisUrl: string,
  metrics: ReturnType<typeof createMetrics>,
): Promise<{ died: Promise<never>; close(): Promise<void> }> {
  const { concurrency } = o.worker;
  const threads = o.workerThreadEntry ? Math.max(1, Math.min(o.threads ?? 1, concurrency)) : 1;
  const config = { redisUrl, crawler: o.crawler, worker: o.worker, frontier: o.revisit };
  const deps = {
    logger: o.logger,
    metrics,
    ...(o.workerThreadEntry ? { threadEntry: o.workerThreadEntry } : {}),
  };
  if (threads === 1) return startEngine(config, deps);
  const [own, ...shares] = splitConcurrency(concurrency, threads) as [number, ...number[]];
  const crawlThreads = startEngineThreads({
    entry: o.workerThreadEntry as string,
    config: {
      ...config,
      threads,
      metrics: { port: 0, host: '127.0.0.1' },
      logLevel: o.logLevel ?? 'warn',
    },
    shares,
    logger: o.logger,
  });
  try {
    await crawlThreads.ready;
  } catch (err) {
    await crawlThreads.close().catch(() => {});
    throw err;
  }
  const engine = startEngine(engineConfig(config, own), deps);
  return {
    died: Promise.race([engine.died, crawlThreads.died]),
    async close() {
      const results = await Promise.allSettled([engine.close(), crawlThreads.close()]);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    },
  };
}
