import { fromEnv } from '@bitcrawl/config';
import { createLogger, createMetrics, runUntilStopped } from '@bitcrawl/telemetry';
import { seederConfigFrom } from './config.ts';
import { start } from './start.ts';

/** `bitcrawl seeder`: environment -> config -> start; rounds on a schedule, or one round with CRAWL_ID. */
export async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const config = seederConfigFrom(fromEnv('seeder', env));
  const logger = createLogger({ service: 'seeder', level: config.logLevel });
  const metrics = createMetrics({ service: 'seeder' });
  await runUntilStopped(() => start(config, { logger, metrics }));
}
