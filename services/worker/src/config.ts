import { inputOf, parseNamed, type Values } from '@bitcrawl/config';
import { type CrawlerConfig, crawlerConfigSchema } from '@bitcrawl/crawler';
import { type FrontierPolicy, roundTtlMsFor } from '@bitcrawl/queue';
import type { LogLevel } from '@bitcrawl/telemetry';
import { z } from 'zod';
import { type WorkerConfig, workerConfigSchema } from './worker.ts';

/** Everything a worker process is started with (what `start` takes; main.ts reads it from the environment). */
export interface WorkerServiceConfig {
  redisUrl: string;
  /** Crawl engines in this process: the main thread's and `threads - 1` crawl threads. */
  threads: number;
  crawler: CrawlerConfig;
  worker: WorkerConfig;
  frontier: FrontierPolicy;
  metrics: { port: number; host: string };
  logLevel: LogLevel;
}

/** What one crawl engine needs (startEngine): the worker's config without its process-wide parts. */
export type EngineConfig = Pick<WorkerServiceConfig, 'redisUrl' | 'crawler' | 'worker' | 'frontier'>;

/**
 * The worker's configs from its knob values (fromEnv('worker', env)), every value checked and a
 * bad one reported under its variable's name.
 */
export function workerConfigFrom(v: Values<'worker'>): WorkerServiceConfig {
  // Every engine needs at least one session of CONCURRENCY.
  if (v.threads > v.concurrency)
    throw new z.ZodError([
      {
        code: 'custom',
        path: ['THREADS'],
        message: 'THREADS must not exceed CONCURRENCY (each crawl engine runs a share of CONCURRENCY)',
        input: v.threads,
      },
    ]);
  return {
    redisUrl: v.redisUrl,
    threads: v.threads,
    crawler: parseNamed('crawler', 'worker', 'env', () =>
      crawlerConfigSchema.parse(inputOf('crawler', 'worker', v)),
    ),
    worker: parseNamed('worker', 'worker', 'env', () =>
      workerConfigSchema.parse(inputOf('worker', 'worker', v)),
    ),
    frontier: {
      ...(inputOf('frontier', 'worker', v) as Omit<FrontierPolicy, 'roundTtlMs'>),
      roundTtlMs: v.roundTtlMs ?? roundTtlMsFor(v.roundIntervalMs),
    },
    metrics: { port: v.metricsPort, host: v.metricsHost },
    logLevel: v.logLevel,
  };
}

/**
 * The config of one crawl engine running `concurrency` of the worker's sessions: its share of
 * CONCURRENCY, and the same share of its pending dials and of the process's byte budget (at
 * least 1 MiB).
 */
export function engineConfig<C extends EngineConfig>(config: C, concurrency: number): C {
  const share = concurrency / config.worker.concurrency;
  const maxBufferedBytes = Math.max(1024 * 1024, Math.floor(config.crawler.maxBufferedBytes * share));
  const pendingDials = Math.floor(config.worker.pendingDials * share);
  return {
    ...config,
    crawler: { ...config.crawler, maxBufferedBytes },
    worker: { ...config.worker, concurrency, pendingDials },
  };
}
