import { createCrawlQueue, createSeedQueue, Frontier } from '@bitcrawl/queue';
import { type Logger, type Metrics, type RunningService, startMetricsServer } from '@bitcrawl/telemetry';
import { Redis } from 'ioredis';
import type { SeederServiceConfig } from './config.ts';
import { runSeeder } from './scheduler.ts';
import { seedRound } from './seeder.ts';

/**
 * The seeder service: rounds on its schedule (with /metrics) until closed, or, given a crawl id,
 * that one round, after which it has ended (`ended` resolves).
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
    const seedQueue = createSeedQueue(bull);
    const running = await runSeeder(
      { frontier, crawlQueue, logger, connection: bull, seedQueue },
      config.seeder,
    );
    const server = await startMetricsServer({
      registry: deps.metrics.registry,
      port: config.metrics.port,
      host: config.metrics.host,
      extra: () => crawlQueue.exportPrometheusMetrics(),
    });
    return {
      async close() {
        try {
          await running.close();
          await seedQueue.close();
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
