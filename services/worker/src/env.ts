import { type CrawlerConfig, crawlerConfigFrom, TRANSPORT_MODES } from '@bitcrawl/crawler';
import { CHAIN_NAMES, type ChainName } from '@bitcrawl/protocol';
import { DEFAULT_GOSSIP_CAPS, DEFAULT_REVISIT } from '@bitcrawl/queue';
import { LOG_LEVELS, URL_WITH_SECRET_HINT, withEnvNames } from '@bitcrawl/telemetry';
import { z } from 'zod';
import {
  DEFAULT_LOCK_DURATION_MS,
  DEFAULT_STALLED_INTERVAL_MS,
  type WorkerConfig,
  workerConfigSchema,
} from './worker.ts';

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
    ALLOW_BAD_PORTS: bool.default(false),
    DENY_CIDRS: z.string().default(''),
    PROXY: z.string().url().optional(),
    PROXY_ONION: z.string().url().optional(),
    PROXY_I2P: z.string().url().optional(),
    PROXY_CJDNS: z.string().url().optional(),
    CJDNS_ROUTE: bool.default(false),
    /** v2-first (BIP324 where the peer may take it, v1 fallback), v1, or v2-only. */
    TRANSPORT: z.enum(TRANSPORT_MODES).default('v2-first'),
    CONNECT_TIMEOUT_MS: int.optional(),
    HANDSHAKE_TIMEOUT_MS: int.optional(),
    GETADDR_TIMEOUT_MS: int.optional(),
    IDLE_TIMEOUT_MS: int.optional(),
    TENTATIVE_IDLE_MS: int.optional(),
    SESSION_TIMEOUT_MS: int.optional(),
    /** Bytes of unfinished peer frames the whole process may hold (split between its engines). */
    MAX_BUFFERED_BYTES: int.optional(),
    /** Endpoints (ports) of one host a round visits; gossip naming more is not_dialable. */
    MAX_ENDPOINTS_PER_IP: int.min(1).default(DEFAULT_GOSSIP_CAPS.perHost),
    /** New addresses one visited peer may add to a round. */
    MAX_NEW_PER_SOURCE: int.min(1).default(DEFAULT_GOSSIP_CAPS.perSource),
    LOCK_DURATION_MS: int.min(1000).default(DEFAULT_LOCK_DURATION_MS),
    STALLED_INTERVAL_MS: int.min(1000).default(DEFAULT_STALLED_INTERVAL_MS),
    SHUTDOWN_GRACE_MS: int.default(20_000),
    MAX_INGEST_BACKLOG: int.default(20_000),
    REVISIT_REACHABLE_MS: int.default(DEFAULT_REVISIT.reachableMs),
    REVISIT_FAIL_BASE_MS: int.default(DEFAULT_REVISIT.failBaseMs),
    REVISIT_FAIL_MAX_MS: int.default(DEFAULT_REVISIT.failMaxMs),
    /** The seeder's rounds start this far apart (at least); round keys expire 2x this + 1 h after their last write. */
    ROUND_INTERVAL_MS: z.coerce
      .number()
      .int()
      .nonnegative()
      .default(30 * 60_000),
    /** Overrides the round TTL derived from ROUND_INTERVAL_MS. */
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
  allowBadPorts: 'ALLOW_BAD_PORTS',
  cjdnsRoute: 'CJDNS_ROUTE',
  denyCidrs: 'DENY_CIDRS',
  proxy: 'PROXY',
  'proxies.onion': 'PROXY_ONION',
  'proxies.i2p': 'PROXY_I2P',
  'proxies.cjdns': 'PROXY_CJDNS',
  transport: 'TRANSPORT',
  'timeouts.connectMs': 'CONNECT_TIMEOUT_MS',
  'timeouts.handshakeMs': 'HANDSHAKE_TIMEOUT_MS',
  'timeouts.getaddrMs': 'GETADDR_TIMEOUT_MS',
  'timeouts.idleAfterAnswerMs': 'IDLE_TIMEOUT_MS',
  'timeouts.tentativeIdleMs': 'TENTATIVE_IDLE_MS',
  'timeouts.sessionMs': 'SESSION_TIMEOUT_MS',
  maxBufferedBytes: 'MAX_BUFFERED_BYTES',
};
const WORKER_ENV_NAMES = {
  concurrency: 'CONCURRENCY',
  lockDurationMs: 'LOCK_DURATION_MS',
  stalledIntervalMs: 'STALLED_INTERVAL_MS',
  shutdownGraceMs: 'SHUTDOWN_GRACE_MS',
  maxIngestBacklog: 'MAX_INGEST_BACKLOG',
};

export type WorkerEnv = z.output<typeof workerEnvSchema>;

/**
 * The configs of one crawl engine running `concurrency` of the worker's sessions: its share of
 * CONCURRENCY, and the same share of the process's byte budget (at least 1 MiB).
 */
export function engineConfigs(
  configs: { crawler: CrawlerConfig; worker: WorkerConfig },
  concurrency: number,
): { crawler: CrawlerConfig; worker: WorkerConfig } {
  const share = concurrency / configs.worker.concurrency;
  const maxBufferedBytes = Math.max(1024 * 1024, Math.floor(configs.crawler.maxBufferedBytes * share));
  return {
    crawler: { ...configs.crawler, maxBufferedBytes },
    worker: { ...configs.worker, concurrency },
  };
}

/** The crawler and worker configs the environment describes (a bad value names its variable). */
export function configsFrom(e: WorkerEnv): { crawler: CrawlerConfig; worker: WorkerConfig } {
  const crawler = withEnvNames(CRAWLER_ENV_NAMES, () =>
    crawlerConfigFrom({
      chain: e.CHAIN as ChainName,
      allowPrivate: e.ALLOW_PRIVATE,
      allowBadPorts: e.ALLOW_BAD_PORTS,
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
      tentativeIdleMs: e.TENTATIVE_IDLE_MS,
      sessionMs: e.SESSION_TIMEOUT_MS,
      transport: e.TRANSPORT,
      maxBufferedBytes: e.MAX_BUFFERED_BYTES,
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
