import { InfraError } from '@bitcrawl/model';
import { createCrawlQueue, Frontier } from '@bitcrawl/queue';
import { type Logger, type Metrics, type RunningService, startMetricsServer } from '@bitcrawl/telemetry';
import { Redis } from 'ioredis';
import type { SeederServiceConfig } from './config.ts';
import { type RoundEnd, runRounds } from './rounds.ts';

/** The one-shot seeder's round ended with addresses unvisited: their jobs failed for good. */
export class RoundJobsFailedError extends InfraError {
  readonly code = 'ROUND_JOBS_FAILED';
  constructor(
    readonly crawlId: string,
    readonly unvisited: number,
  ) {
    super(`round ${crawlId}: ${unvisited} addresses left unvisited, their jobs failed (see Bull Board)`);
  }
}

/**
 * The seeder service: rounds back to back (with /metrics) until closed, each noted for the
 * ingester when it ends. Given a crawl id (CRAWL_ID), that one round, through the same round
 * loop: seeded, watched until every address is visited and stored, and noted for the ingester;
 * then it has ended: `ended` resolves, or rejects with RoundJobsFailedError (exit 1) when jobs
 * failed for good. A stop before then notes the round as interrupted.
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
    const stop = new AbortController();
    const seedDeps = { frontier, crawlQueue, logger, redis };
    if (config.crawlId) {
      const crawlId = config.crawlId;
      const running = runRounds(seedDeps, config.seeder, stop.signal, undefined, undefined, {
        firstCrawlId: crawlId,
        once: true,
      }).then((end?: RoundEnd) => {
        if (end && end.failed > 0) throw new RoundJobsFailedError(crawlId, end.failed);
      });
      running.catch(() => {}); // observed through `ended`
      return {
        ended: running,
        async close() {
          stop.abort(); // the round in progress is noted as interrupted
          try {
            await running.catch(() => {});
          } finally {
            await disconnect();
          }
        },
      };
    }
    const running = runRounds(seedDeps, config.seeder, stop.signal);
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
