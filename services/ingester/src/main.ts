import os from 'node:os';
import { applyGossipRetention, migrate, openStore } from '@bitcrawl/storage';
import {
  createLogger,
  createMetrics,
  LOG_LEVELS,
  parseEnv,
  startMetricsServer,
  URL_WITH_SECRET_HINT,
  withEnvNames,
} from '@bitcrawl/telemetry';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { loadGeoEnricher } from './geo.ts';
import { ingesterConfigSchema, startIngester } from './ingester.ts';

const int = z.coerce.number().int().nonnegative();

/** Every variable the ingester reads; a variable set to '' counts as unset (parseEnv). */
export const ingesterEnvSchema = z.object({
  REDIS_URL: z.string().url(URL_WITH_SECRET_HINT),
  /** A ClickHouse server; without it, embedded chdb under STORE_DIR. */
  CLICKHOUSE_URL: z.string().url(URL_WITH_SECRET_HINT).optional(),
  STORE_DIR: z.string().default('data'),
  BATCH_SIZE: int.default(5_000),
  FLUSH_INTERVAL_MS: int.default(2_000),
  /** Default: <hostname>-<pid>, computed in main. */
  CONSUMER_NAME: z.string().optional(),
  CLAIM_IDLE_MS: int.default(60_000),
  METRICS_PORT: int.default(9465),
  METRICS_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** iptoasn.com's ip2asn-combined.tsv or .tsv.gz: enables node_geo enrichment. */
  GEOIP_ASN_DB: z.string().optional(),
  /** MaxMind-format (MMDB) city databases, comma-separated: enables node_location. */
  GEOIP_CITY_DB: z.string().optional(),
  /** Days of addr_gossip kept (a TTL; on ClickHouse 18.16 older gossip is deleted at start). */
  GOSSIP_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(30),
  /** JSON {"<asn>": "<provider>"} added to the built-in cloud provider table. */
  CLOUD_ASNS: z.string().optional(),
});

/** The variable each ingester config field comes from (for validation messages). */
const INGESTER_ENV_NAMES = {
  batchSize: 'BATCH_SIZE',
  flushIntervalMs: 'FLUSH_INTERVAL_MS',
  consumer: 'CONSUMER_NAME',
  claimIdleMs: 'CLAIM_IDLE_MS',
  geoDb: 'GEOIP_ASN_DB',
  cityDb: 'GEOIP_CITY_DB',
  cloudAsns: 'CLOUD_ASNS',
};

/**
 * `bitcrawl ingester`: applies migrations, then moves observations into ClickHouse until
 * SIGTERM. If the ingester dies on an error it cannot retry, cleans up and throws it
 * (IngesterError, code INGESTER_FATAL) so the process exits non-zero and gets restarted.
 */
export async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const e = parseEnv(ingesterEnvSchema, env);
  const logger = createLogger({ service: 'ingester', level: e.LOG_LEVEL });
  const metrics = createMetrics({ service: 'ingester' });
  const config = withEnvNames(INGESTER_ENV_NAMES, () =>
    ingesterConfigSchema.parse({
      batchSize: e.BATCH_SIZE,
      flushIntervalMs: e.FLUSH_INTERVAL_MS,
      consumer: e.CONSUMER_NAME ?? `${os.hostname()}-${process.pid}`,
      claimIdleMs: e.CLAIM_IDLE_MS,
      geoDb: e.GEOIP_ASN_DB,
      cityDb: e.GEOIP_CITY_DB,
      cloudAsns: e.CLOUD_ASNS,
    }),
  );
  // Before anything is opened: a bad database file is a configuration error, reported at once.
  const geo = await loadGeoEnricher(config, logger);
  const store = await openStore(e.CLICKHOUSE_URL ? { url: e.CLICKHOUSE_URL } : { dir: e.STORE_DIR });
  const applied = await migrate(store);
  logger.info({ store: store.describe, version: store.version, applied }, 'schema ready');
  const retention = await applyGossipRetention(store, e.GOSSIP_RETENTION_DAYS);
  logger.info({ days: e.GOSSIP_RETENTION_DAYS, ...retention }, 'gossip retention applied');
  const redis = new Redis(e.REDIS_URL);
  redis.on('error', (err) => logger.debug({ err: err.message }, 'redis connection error'));
  const running = startIngester({ redis, store, logger, metrics, geo }, config);
  const server = await startMetricsServer({
    registry: metrics.registry,
    port: e.METRICS_PORT,
    host: e.METRICS_HOST,
  });
  let fatal: unknown;
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
    running.stopped.then(resolve, (err: unknown) => {
      fatal = err;
      resolve();
    });
  });
  if (!fatal)
    await running
      .stop()
      .catch((err) =>
        logger.error({ err: (err as Error).message }, 'stopped with unflushed rows (they stay pending)'),
      );
  await server.close();
  await store.close();
  redis.disconnect();
  if (fatal) throw fatal;
}
