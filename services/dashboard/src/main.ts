import type { Server } from 'node:http';
import { fromEnv, type Values } from '@bitcrawl/config';
import { createCrawlQueue, createSeedQueue, Frontier } from '@bitcrawl/queue';
import { openStore } from '@bitcrawl/storage';
import { createLogger, type Logger, type RunningService, runUntilStopped } from '@bitcrawl/telemetry';
import { Redis } from 'ioredis';
import { createDashboardApp } from './app.ts';
import { createSummarizer } from './summary.ts';

/** Everything the dashboard is started with: its knobs as fromEnv('dashboard') reads them. */
export type DashboardConfig = Values<'dashboard'>;

/** The dashboard: Bull Board and the headline page, on DASHBOARD_HOST:DASHBOARD_PORT. */
export async function start(
  config: DashboardConfig,
  deps: { logger: Logger },
): Promise<RunningService & { port: number }> {
  const bull = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  const redis = new Redis(config.redisUrl);
  const crawlQueue = createCrawlQueue(bull);
  const seedQueue = createSeedQueue(bull);
  const store = config.clickhouseUrl ? await openStore({ url: config.clickhouseUrl }) : undefined;
  const summary = createSummarizer({
    redis,
    frontier: new Frontier(redis),
    crawlQueue,
    ...(store ? { store } : {}),
  });
  const app = createDashboardApp({ queues: [crawlQueue, seedQueue], summary });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.dashboardPort, config.dashboardHost, () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  deps.logger.info({ url: `http://${config.dashboardHost}:${port}/` }, 'dashboard listening');
  return {
    port,
    async close() {
      // Open browser tabs poll every second over keep-alive connections; close() alone would
      // wait for them to go away, so the dashboard would never stop while someone watches it.
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await crawlQueue.close();
      await seedQueue.close();
      await store?.close();
      bull.disconnect();
      redis.disconnect();
    },
  };
}

/** `bitcrawl dashboard`: environment -> config -> start, serving until SIGTERM/SIGINT. */
export async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const config = fromEnv('dashboard', env);
  const logger = createLogger({ service: 'dashboard', level: config.logLevel });
  await runUntilStopped(() => start(config, { logger }));
}
