import { fromEnv } from '@bitcrawl/config';
import { createLogger, createMetrics, runUntilStopped } from '@bitcrawl/telemetry';
import { ingesterConfigFrom } from './config.ts';
import { start } from './start.ts';

/** `bitcrawl ingester`: environment -> config -> start, until SIGTERM (or an error it cannot retry). */
export async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const config = ingesterConfigFrom(fromEnv('ingester', env));
  const logger = createLogger({ service: 'ingester', level: config.logLevel });
  const metrics = createMetrics({ service: 'ingester' });
  await runUntilStopped(() => start(config, { logger, metrics }));
}
