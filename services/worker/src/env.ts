import { type CrawlerConfig, crawlerConfigFrom } from '@bitcrawl/crawler';
import { CHAIN_NAMES, type ChainName } from '@bitcrawl/protocol';
import { DEFAULT_REVISIT } from '@bitcrawl/queue';
import { LOG_LEVELS, URL_WITH_SECRET_HINT, withEnvNames } from '@bitcrawl/telemetry';
import { z } from 'zod';
import { type WorkerConfig, workerConfigSchema } from './worker.ts';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const int = z.coerce.number().int().nonnegative();

/**
 * Every variable the worker reads; docker-compose.yml and `npm run stack` set these.
 * A variable set to '' counts as unset (parseEnv).
 */
export const workerEnvSchema = z
  .object({
    REDIS_URL: z.string().url(URL_WITH_SECRET_HINT),
    CHAIN: z.enum(CHAIN_NAMES as [string, ...string[]]).default('mainnet'),
    // Bounds as workerConfigSchema's, so a bad value is reported with the variable's name.
    CONCURRENCY: int.min(1).max(10_000).default(500),
    /**
     * Crawl threads: event loops in this process, each its own BullMQ consumer running its share
     * of CONCURRENCY. One JS thread handles a few thousand sessions/s; more threads use more cores
     * from one process (and one container) instead of more processes.
     */
    THREADS: int.min(1).max(64).default(1),
    ALLOW_PRIVATE: bool.default(false),
    DENY_CIDRS: z.string().default(''),
    PROXY: z.string().url().optional(),
    PROXY_ONION: z.string().url().optional(),
    PROXY_I2P: z.string().url().optional(),
    PROXY_CJDNS: z.string().url().optional(),
    CJDNS_ROUTE: bool.default(false),
    CONNECT_TIMEOUT_MS: int.optional(),
    HANDSHAKE_TIMEOUT_MS: int.optional(),
    GETADDR_TIMEOUT_MS: int.optional(),
    IDLE_TIMEOUT_MS: int.optional(),
    LOCK_DURATION_MS: int.min(1000).default(30_000),
    STALLED_INTERVAL_MS: int.min(1000).default(30_000),
    SHUTDOWN_GRACE_MS: int.default(20_000),
    MAX_INGEST_BACKLOG: int.default(20_000),
    REVISIT_REACHABLE_MS: int.default(DEFAULT_REVISIT.reachableMs),
    REVISIT_FAIL_BASE_MS: int.default(DEFAULT_REVISIT.failBaseMs),
    REVISIT_FAIL_MAX_MS: int.default(DEFAULT_REVISIT.failMaxMs),
    /** The seeder's schedule; round keys expire 2x this + 1 h after their last write. */
    RESEED_EVERY_MS: int.default(6 * 3_600_000),
    /** Overrides the round TTL derived from RESEED_EVERY_MS. */
    ROUND_TTL_MS: z.coerce.number().int().positive().optional(),
    METRICS_PORT: int.default(9464),
    METRICS_HOST: z.string().default('127.0.0.1'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  })
  // Every engine needs at least one session of CONCURRENCY.
  .refine((e) => e.THREADS <= e.CONCURRENCY, {
    message: 'THREADS must not exceed CONCURRENCY (each crawl engine runs a share of CONCURRENCY)',
    path: ['THREADS'],
  });

/** The variable each crawler/worker config field comes from (for validation messages). */
const CRAWLER_ENV_NAMES = {
  chain: 'CHAIN',
  allowPrivate: 'ALLOW_PRIVATE',
  cjdnsRoute: 'CJDNS_ROUTE',
  denyCidrs: 'DENY_CIDRS',
  proxy: 'PROXY',
  'proxies.onion': 'PROXY_ONION',
  'proxies.i2p': 'PROXY_I2P',
  'proxies.cjdns': 'PROXY_CJDNS',
  'timeouts.connectMs': 'CONNECT_TIMEOUT_MS',
  'timeouts.handshakeMs': 'HANDSHAKE_TIMEOUT_MS',
  'timeouts.getaddrMs': 'GETADDR_TIMEOUT_MS',
  'timeouts.idleAfterAnswerMs': 'IDLE_TIMEOUT_MS',
};
const WORKER_ENV_NAMES = {
  concurrency: 'CONCURRENCY',
  lockDurationMs: 'LOCK_DURATION_MS',
  stalledIntervalMs: 'STALLED_INTERVAL_MS',
  shutdownGraceMs: 'SHUTDOWN_GRACE_MS',
  maxIngestBacklog: 'MAX_INGEST_BACKLOG',
};

export type WorkerEnv = z.output<typeof workerEnvSchema>;

/** The crawler and worker configs the environment describes (a bad value names its variable). */
export function configsFrom(e: WorkerEnv): { crawler: CrawlerConfig; worker: WorkerConfig } {
  const crawler = withEnvNames(CRAWLER_ENV_NAMES, () =>
    crawlerConfigFrom({
      chain: e.CHAIN as ChainName,
      allowPrivate: e.ALLOW_PRIVATE,
      cjdnsRoute: e.CJDNS_ROUTE,
      denyCidrs: e.DENY_CIDRS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      proxy: e.PROXY,
      proxyOnion: e.PROXY_ONION,
      proxyI2p: e.PROXY_I2P,
      proxyCjdns: e.PROXY_CJDNS,
      connectMs: e.CONNECT_TIMEOUT_MS,
      handshakeMs: e.HANDSHAKE_TIMEOUT_MS,
      getaddrMs: e.GETADDR_TIMEOUT_MS,
      idleAfterAnswerMs: e.IDLE_TIMEOUT_MS,
    }),
  );
  const worker = withEnvNames(WORKER_ENV_NAMES, () =>
    workerConfigSchema.parse({
      concurrency: e.CONCURRENCY,
      lockDurationMs: e.LOCK_DURATION_MS,
      stalledIntervalMs: e.STALLED_INTERVAL_MS,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      maxIngestBacklog: e.MAX_INGEST_BACKLOG,
    }),
  );
  return { crawler, worker };
}
