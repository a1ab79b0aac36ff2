import { fromEnv } from '@bitcrawl/config';
import { fitVisitsToFdLimit } from '@bitcrawl/crawler';
import { createLogger, createMetrics, runUntilStopped } from '@bitcrawl/telemetry';
import { workerConfigFrom } from './config.ts';
import { start } from './start.ts';

export interface WorkerMainOptions {
  /** The script a crawl thread runs when THREADS > 1 (see WorkerDeps.threadEntry). */
  threadEntry?: string;
}

/** `bitcrawl worker`: environment -> config -> start, until SIGTERM/SIGINT (or a crawl thread dies). */
export async function main(env: NodeJS.ProcessEnv, opts: WorkerMainOptions = {}): Promise<void> {
  const values = fromEnv('worker', env);
  const logger = createLogger({ service: 'worker', level: values.logLevel });
  // More visits than open files allow would fail as EMFILE and be recorded as dead peers.
  const fit = fitVisitsToFdLimit(values);
  if (fit.warning) logger.warn(fit.warning);
  const config = workerConfigFrom({
    ...values,
    concurrency: Math.max(fit.concurrency, values.threads),
    pendingDials: fit.pendingDials,
  });
  const metrics = createMetrics({ service: 'worker' });
  await runUntilStopped((stop) => start(config, { logger, metrics, stop, ...opts }));
}
