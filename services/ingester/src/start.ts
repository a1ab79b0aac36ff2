import { applyGossipRetention, migrate, openStore } from '@bitcrawl/storage';
import { type Logger, type Metrics, type RunningService, startMetricsServer } from '@bitcrawl/telemetry';
import { Redis } from 'ioredis';
import type { IngesterServiceConfig } from './config.ts';
import { loadGeoEnricher } from './geo.ts';
import { startIngester } from './ingester.ts';

/**
 * The ingester service: applies migrations and the gossip retention, then moves observations
 * into ClickHouse, with /metrics. If it dies on an error it cannot retry, `ended` rejects with it
 * (IngesterError, code INGESTER_FATAL) so the process exits non-zero and gets restarted.
 */
export async function start(
  config: IngesterServiceConfig,
  deps: { logger: Logger; metrics: Metrics },
): Promise<RunningService> {
  const { logger, metrics } = deps;
  // Before anything is opened: a bad database file is a configuration error, reported at once.
  const geo = await loadGeoEnricher(config.ingester, logger);
  const store = await openStore(config.store);
  const applied = await migrate(store);
  logger.info({ store: store.describe, version: store.version, applied }, 'schema ready');
  const retention = await applyGossipRetention(store, config.gossipRetentionDays);
  logger.info({ days: config.gossipRetentionDays, ...retention }, 'gossip retention applied');
  const redis = new Redis(config.redisUrl);
  redis.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  const running = startIngester({ redis, store, logger, metrics, geo }, config.ingester);
  const server = await startMetricsServer({
    registry: metrics.registry,
    port: config.metrics.port,
    host: config.metrics.host,
  });
  let died = false;
  running.stopped.catch(() => {
    died = true;
  });
  return {
    ended: running.stopped,
    async close() {
      if (!died)
        await running
          .stop()
          .catch((err) =>
            logger.error({ err: (err as Error).message }, 'stopped with unflushed rows (they stay pending)'),
          );
      await server.close();
      await store.close();
      redis.disconnect();
    },
  };
}
