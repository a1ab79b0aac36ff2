import { inputOf, parseNamed, type Values } from '@bitcrawl/config';
import { DEFAULT_REVISIT, type FrontierPolicy, roundTtlMsFor } from '@bitcrawl/queue';
import type { LogLevel } from '@bitcrawl/telemetry';
import { type SeederConfig, seederConfigSchema } from './seeder.ts';

/** Everything the seeder service is started with (what `start` takes). */
export interface SeederServiceConfig {
  redisUrl: string;
  seeder: SeederConfig;
  frontier: FrontierPolicy;
  /**
   * Run exactly this one round (seeded, watched until visited and stored, noted for the
   * ingester) and end (`stack --once`, scripts, tests); otherwise rounds on the schedule.
   */
  crawlId?: string | undefined;
  metrics: { port: number; host: string };
  logLevel: LogLevel;
}

/** The seeder's config from its knob values, a bad value named by its variable. */
export function seederConfigFrom(v: Values<'seeder'>): SeederServiceConfig {
  const seeder = parseNamed('seeder', 'seeder', 'env', () =>
    seederConfigSchema.parse(inputOf('seeder', 'seeder', v)),
  );
  return {
    redisUrl: v.redisUrl,
    seeder,
    frontier: {
      keepKnownMs: seeder.revisitKnownMs,
      ...DEFAULT_REVISIT,
      failMaxMs: v.revisitFailMaxMs,
      roundTtlMs: v.roundTtlMs ?? roundTtlMsFor(v.roundIntervalMs),
    },
    crawlId: v.crawlId,
    metrics: { port: v.metricsPort, host: v.metricsHost },
    logLevel: v.logLevel,
  };
}
