import os from 'node:os';
import { splitConcurrency } from '@bitcrawl/crawler/worker-flags';
import { type Logger, type Metrics, type RunningService, startMetricsServer } from '@bitcrawl/telemetry';
import type { WorkerServiceConfig } from './config.ts';
import { engineConfig } from './config.ts';
import { startEngine } from './engine.ts';
import { threadedMetrics } from './metrics.ts';
import { startEngineThreads } from './threads.ts';

export interface WorkerDeps {
  logger: Logger;
  metrics: Metrics;
  /**
   * The script a crawl or commit thread runs: one that runs ./thread-entry.ts (the CLI passes
   * its worker-thread.mjs). Required when threads > 1; without it, commits run on the loop.
   */
  threadEntry?: string;
  /** Aborted by a stop request while the service starts (its crawl threads are then stopped). */
  stop?: AbortSignal;
}

/**
 * The worker service: one crawl engine on this thread, or one per crawl thread, and /metrics.
 * Its main.ts reads the config from the environment; tests and other compositions call this.
 */
export async function start(config: WorkerServiceConfig, deps: WorkerDeps): Promise<RunningService> {
  if (config.threads > 1) return startThreaded(config, deps);
  const { logger, metrics } = deps;
  const engine = startEngine(config, {
    logger,
    metrics,
    ...(deps.threadEntry ? { threadEntry: deps.threadEntry } : {}),
  });
  const server = await startMetricsServer({
    registry: metrics.registry,
    port: config.metrics.port,
    host: config.metrics.host,
    extra: () => engine.crawlQueue.exportPrometheusMetrics(),
  });
  logger.info(
    {
      concurrency: config.worker.concurrency,
      commitThread: engine.commitThread,
      metrics: server.port,
      host: os.hostname(),
    },
    'worker started',
  );
  let died = false;
  const ended = engine.died.catch((err: unknown) => {
    died = true;
    logger.fatal({ err: (err as Error).message }, 'the commit thread died: stopping the worker');
    throw err;
  });
  return {
    ended,
    async close() {
      if (!died)
        logger.info({ graceMs: config.worker.shutdownGraceMs }, 'stopping: finishing in-flight visits');
      await engine.close();
      await server.close();
      logger.info('worker stopped');
    },
  };
}

/** threads > 1: this thread runs one engine, and threads - 1 crawl threads run the others. */
async function startThreaded(config: WorkerServiceConfig, deps: WorkerDeps): Promise<RunningService> {
  const { logger, metrics } = deps;
  if (!deps.threadEntry) throw new Error('THREADS > 1 needs the script a crawl thread runs (threadEntry)');
  const [own, ...shares] = splitConcurrency(config.worker.concurrency, config.threads) as [
    number,
    ...number[],
  ];
  const threads = startEngineThreads({ entry: deps.threadEntry, config, shares, logger });
  const stopped = new Promise<'signal'>((resolve) => {
    if (deps.stop?.aborted) resolve('signal');
    deps.stop?.addEventListener('abort', () => resolve('signal'), { once: true });
  });
  const first = await Promise.race([
    threads.ready.then(
      () => 'ready' as const,
      (err: unknown) => err,
    ),
    stopped,
  ]);
  if (first !== 'ready') {
    await threads.close().catch(() => {}); // what failed is reported below, or it was a stop request
    if (first !== 'signal') throw first;
    logger.info('worker stopped before it started');
    return { close: async () => {} };
  }
  // This thread's own engine starts once the threads run, so a thread that fails to start
  // never has it to stop half-started.
  const engine = startEngine(engineConfig(config, own), {
    logger: logger.child({ thread: 0 }),
    metrics,
    threadEntry: deps.threadEntry,
  });
  const server = await startMetricsServer({
    registry: { contentType: metrics.registry.contentType, metrics: () => threadedMetrics(metrics, threads) },
    port: config.metrics.port,
    host: config.metrics.host,
    extra: () => engine.crawlQueue.exportPrometheusMetrics(),
    healthy: () => threads.alive(),
  });
  logger.info(
    {
      concurrency: config.worker.concurrency,
      threads: config.threads,
      commitThread: engine.commitThread,
      metrics: server.port,
      host: os.hostname(),
    },
    'worker started',
  );
  let died: unknown;
  const ended = Promise.race([threads.died, engine.died]).catch((err: unknown) => {
    died = err;
    logger.fatal({ err: (err as Error).message }, 'a crawl or commit thread died: stopping the worker');
    throw err;
  });
  return {
    ended,
    async close() {
      if (!died)
        logger.info({ graceMs: config.worker.shutdownGraceMs }, 'stopping: finishing in-flight visits');
      const [ownStop, threadsStop] = await Promise.allSettled([
        engine
          .close()
          .then(() => logger.info({ thread: 0, visits: engine.visitsDone() }, 'crawl engine stopped')),
        threads.close(),
      ]);
      await server.close();
      for (const r of [ownStop, threadsStop]) if (r.status === 'rejected') throw r.reason;
      logger.info('worker stopped');
    },
  };
}
