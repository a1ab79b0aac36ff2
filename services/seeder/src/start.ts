import { createCrawlQueue, Frontier } from '@bitcrawl/queue';
import { type Logger, type Metrics, type RunningService, startMetricsServer } from '@bitcrawl/telemetry';
import { Redis } from 'ioredis';
import type { SeederServiceConfig } from './config.ts';
import { runRounds } from './rounds.ts';
import { seedRound } from './seeder.ts';

/**
 * The seeder service: rounds back to back (with /metrics) until closed, each noted for the
 * ingester when it ends; or, given a crawl id, that one round seeded, after which it has ended
 * (`ended` resolves).
 */
export async function start(
  config: SeederServiceConfig,
  deps: { logger: Logger; metrics: Metrics },
): Promise<RunningService> {
  const { logger } = deps;
  const bull = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const redis = new Redis(config.redisUrl);
  const crawlQueue = createCrawlQueue(bull);
  const frontier = new Frontier(redis, config.frontier);
  const disconnect = async () => {
    await crawlQueue.close();
    bull.disconnect();
    redis.disconnect();
  };
  try {
    if (config.crawlId) {
      await seedRound({ frontier, crawlQueue, logger }, config.seeder, config.crawlId);
      await disconnect();
      return { ended: Promise.resolve(), close: async () => {} };
    }
    const stop = new AbortController();
    const running = runRounds({ frontier, crawlQueue, logger, redis }, config.seeder, stop.signal);
    running.catch(() => {}); // observed through `ended`
    const server = await startMetricsServer({
      registry: deps.metrics.registry,
      port: config.metrics.port,
      host: config.metrics.host,
      extra: () => crawlQueue.exportPrometheusMetrics(),
    });
    return {
      ended: running,
      async close() {
        stop.abort(); // the round in progress is noted as interrupted
        try {
          await running.catch(() => {}); // a failure that ended it is reported by whoever awaited `ended`
          await server.close();
        } finally {
          await disconnect();
        }
      },
    };
  } catch (err) {
    await disconnect();
    throw err;
  }
}
