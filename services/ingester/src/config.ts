import os from 'node:os';
import { inputOf, parseNamed, type Values } from '@bitcrawl/config';
import type { StoreOptions } from '@bitcrawl/storage';
import type { LogLevel } from '@bitcrawl/telemetry';
import { type IngesterConfig, ingesterConfigSchema } from './ingester.ts';

/** Everything the ingester service is started with (what `start` takes). */
export interface IngesterServiceConfig {
  redisUrl: string;
  /** A ClickHouse server, or embedded chdb in a directory. */
  store: StoreOptions;
  ingester: IngesterConfig;
  gossipRetentionDays: number;
  metrics: { port: number; host: string };
  logLevel: LogLevel;
}

/** The ingester's config from its knob values, a bad value named by its variable. */
export function ingesterConfigFrom(v: Values<'ingester'>): IngesterServiceConfig {
  const input = { consumer: `${os.hostname()}-${process.pid}`, ...inputOf('ingester', 'ingester', v) };
  return {
    redisUrl: v.redisUrl,
    store: v.clickhouseUrl ? { url: v.clickhouseUrl } : { dir: v.storeDir },
    ingester: parseNamed('ingester', 'ingester', 'env', () => ingesterConfigSchema.parse(input)),
    gossipRetentionDays: v.gossipRetentionDays,
    metrics: { port: v.metricsPort, host: v.metricsHost },
    logLevel: v.logLevel,
  };
}
