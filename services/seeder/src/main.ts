import { CHAIN_NAMES } from '@bitcrawl/protocol';
import { crawlIdSchema, createCrawlQueue, DEFAULT_REVISIT, Frontier, roundTtlMsFor } from '@bitcrawl/queue';
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
import { runRounds } from './rounds.ts';
import { DEFAULT_ROUND_INTERVAL_MS, seederConfigSchema, seedRound } from './seeder.ts';

const list = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

/** Every variable the seeder reads; a variable set to '' counts as unset (parseEnv). */
export const seederEnvSchema = z.object({
  REDIS_URL: z.string().url(URL_WITH_SECRET_HINT),
  CHAIN: z.enum(CHAIN_NAMES as [string, ...string[]]).default('mainnet'),
  SEEDS: list,
  DNS: bool.default(true),
  DNS_SERVERS: list,
  DNS_SEEDS: z.string().optional(),
  /** A round starts this long after the previous one started, or when it ends if later. */
  ROUND_INTERVAL_MS: z.coerce.number().int().nonnegative().default(DEFAULT_ROUND_INTERVAL_MS),
  /** Overrides the round TTL derived from ROUND_INTERVAL_MS (2x + 1 h). */
  ROUND_TTL_MS: z.coerce.number().int().positive().optional(),
  /** The workers' longest failure back-off: revisit state older than this (or 30 d) is pruned at each round. */
  REVISIT_FAIL_MAX_MS: z.coerce.number().int().positive().default(DEFAULT_REVISIT.failMaxMs),
  /** Seed exactly this round and exit (scripts, tests). */
  CRAWL_ID: crawlIdSchema.optional(),
  METRICS_PORT: z.coerce.number().int().nonnegative().default(9466),
  METRICS_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

/** The variable each seeder config field comes from (for validation messages). */
const SEEDER_ENV_NAMES = {
  chain: 'CHAIN',
  seeds: 'SEEDS',
  dns: 'DNS',
  dnsServers: 'DNS_SERVERS',
  dnsSeeds: 'DNS_SEEDS',
  roundIntervalMs: 'ROUND_INTERVAL_MS',
};

/**
 * `bitcrawl seeder`: runs rounds back to back (or seeds one round with CRAWL_ID) from DNS, SEEDS,
 * fixed seeds and every address visited in the last 30 days; notes each round's end for the
 * ingester, which writes its `rounds` rows.
 */
export async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const e = parseEnv(seederEnvSchema, env);
  const logger = createLogger({ service: 'seeder', level: e.LOG_LEVEL });
  const config = withEnvNames(SEEDER_ENV_NAMES, () =>
    seederConfigSchema.parse({
      chain: e.CHAIN,
      seeds: e.SEEDS,
      dns: e.DNS,
      dnsServers: e.DNS_SERVERS,
      ...(e.DNS_SEEDS ? { dnsSeeds: e.DNS_SEEDS.split(',').map((s) => s.trim()) } : {}),
      roundIntervalMs: e.ROUND_INTERVAL_MS,
    }),
  );
  const bull = new Redis(e.REDIS_URL, { maxRetriesPerRequest: null });
  const redis = new Redis(e.REDIS_URL);
  const crawlQueue = createCrawlQueue(bull);
  const frontier = new Frontier(redis, {
    ...DEFAULT_REVISIT,
    failMaxMs: e.REVISIT_FAIL_MAX_MS,
    roundTtlMs: e.ROUND_TTL_MS ?? roundTtlMsFor(e.ROUND_INTERVAL_MS),
    keepKnownMs: config.revisitKnownMs,
  });
  try {
    if (e.CRAWL_ID) {
      await seedRound({ frontier, crawlQueue, logger }, config, e.CRAWL_ID);
      return;
    }
    const stop = new AbortController();
    process.once('SIGTERM', () => stop.abort());
    process.once('SIGINT', () => stop.abort());
    const running = runRounds({ frontier, crawlQueue, logger, redis }, config, stop.signal);
    const metrics = createMetrics({ service: 'seeder' });
    const server = await startMetricsServer({
      registry: metrics.registry,
      port: e.METRICS_PORT,
      host: e.METRICS_HOST,
      extra: () => crawlQueue.exportPrometheusMetrics(),
    });
    try {
      await running;
    } finally {
      stop.abort();
      await server.close();
    }
  } finally {
    await crawlQueue.close();
    bull.disconnect();
    redis.disconnect();
  }
}
