import type { Server } from 'node:http';
import { createCrawlQueue, createSeedQueue, Frontier } from '@bitcrawl/queue';
import { openStore } from '@bitcrawl/storage';
import { createLogger, LOG_LEVELS, parseEnv, URL_WITH_SECRET_HINT } from '@bitcrawl/telemetry';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { createDashboardApp } from './app.ts';
import { createSummarizer } from './summary.ts';

/** Every variable the dashboard reads; a variable set to '' counts as unset (parseEnv). */
export const dashboardEnvSchema = z.object({
  REDIS_URL: z.string().url(URL_WITH_SECRET_HINT),
  /** Per-network counts come from this ClickHouse server; without it the page shows Redis numbers only. */
  CLICKHOUSE_URL: z.string().url(URL_WITH_SECRET_HINT).optional(),
  DASHBOARD_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  DASHBOARD_HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

export async function startDashboard(
  env: NodeJS.ProcessEnv,
): Promise<{ port: number; close(): Promise<void> }> {
  const e = parseEnv(dashboardEnvSchema, env);
  const logger = createLogger({ service: 'dashboard', level: e.LOG_LEVEL });
  const bull = new Redis(e.REDIS_URL, { maxRetriesPerRequest: null });
  const redis = new Redis(e.REDIS_URL);
  const crawlQueue = createCrawlQueue(bull);
  const seedQueue = createSeedQueue(bull);
  const store = e.CLICKHOUSE_URL ? await openStore({ url: e.CLICKHOUSE_URL }) : undefined;
  const summary = createSummarizer({
    redis,
    frontier: new Frontier(redis),
    crawlQueue,
    ...(store ? { store } : {}),
  });
  const app = createDashboardApp({ queues: [crawlQueue, seedQueue], summary });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(e.DASHBOARD_PORT, e.DASHBOARD_HOST, () => resolve(s));
  });
  const port = (server.address() as { port: number }).port;
  logger.info({ url: `http://${e.DASHBOARD_HOST}:${port}/` }, 'dashboard listening');
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

/** `bitcrawl dashboard`: serves until SIGTERM/SIGINT. */
export async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const d = await startDashboard(env);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await d.close();
}
