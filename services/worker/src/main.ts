import os from 'node:os';
import { fitConcurrencyToFdLimit, splitConcurrency } from '@bitcrawl/crawler';
import {
  createLogger,
  createMetrics,
  PROCESS_PREFIX,
  parseEnv,
  startMetricsServer,
} from '@bitcrawl/telemetry';
import { AggregatorRegistry } from 'prom-client';
import { startEngine } from './engine.ts';
import { configsFrom, type WorkerEnv, workerEnvSchema } from './env.ts';
import { type EngineThreads, startEngineThreads } from './threads.ts';

export { workerEnvSchema };

export interface WorkerMainOptions {
  /**
   * The script a crawl thread runs when THREADS > 1: one that runs ./thread-entry.ts (the CLI
   * passes its worker-thread.mjs). Required then; a library caller that wants threads names it.
   */
  threadEntry?: string;
}

/**
 * `bitcrawl worker`: parses the environment once, wires the worker (on this thread, or one
 * engine per crawl thread), runs until SIGTERM/SIGINT.
 */
export async function main(env: NodeJS.ProcessEnv, opts: WorkerMainOptions = {}): Promise<void> {
  const parsed = parseEnv(workerEnvSchema, env);
  const logger = createLogger({ service: 'worker', level: parsed.LOG_LEVEL });
  // More visits than open files allow would fail as EMFILE and be recorded as dead peers.
  const fit = fitConcurrencyToFdLimit(parsed.CONCURRENCY);
  if (fit.warning) logger.warn(fit.warning);
  const e = { ...parsed, CONCURRENCY: Math.max(fit.concurrency, parsed.THREADS) };
  const configs = configsFrom(e); // every value checked before anything starts
  const metrics = createMetrics({ service: 'worker' });
  if (e.THREADS > 1) return runThreaded(e, configs, opts, logger, metrics);
  const engine = startEngine(e, configs, { logger, metrics });
  const server = await startMetricsServer({
    registry: metrics.registry,
    port: e.METRICS_PORT,
    host: e.METRICS_HOST,
    extra: () => engine.crawlQueue.exportPrometheusMetrics(),
  });
  logger.info(
    { concurrency: configs.worker.concurrency, metrics: server.port, host: os.hostname() },
    'worker started',
  );
  await untilSignal().signalled;
  logger.info({ graceMs: configs.worker.shutdownGraceMs }, 'stopping: finishing in-flight visits');
  await engine.close();
  await server.close();
  logger.info('worker stopped');
}

/** Resolves on SIGTERM or SIGINT; `cancel` removes the handlers when something else ends the wait. */
function untilSignal(): { signalled: Promise<void>; cancel: () => void } {
  let cancel = () => {};
  const signalled = new Promise<void>((resolve) => {
    const stop = () => {
      cancel();
      resolve();
    };
    cancel = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return { signalled, cancel };
}

/** THREADS > 1: this thread runs one engine, and THREADS - 1 crawl threads run the others. */
async function runThreaded(
  e: WorkerEnv,
  configs: ReturnType<typeof configsFrom>,
  opts: WorkerMainOptions,
  logger: ReturnType<typeof createLogger>,
  metrics: ReturnType<typeof createMetrics>,
): Promise<void> {
  if (!opts.threadEntry) throw new Error('THREADS > 1 needs the script a crawl thread runs (threadEntry)');
  const [own, ...shares] = splitConcurrency(e.CONCURRENCY, e.THREADS) as [number, ...number[]];
  const signal = untilSignal(); // from the start: a SIGTERM while the threads start stops them too
  const threads = startEngineThreads({ entry: opts.threadEntry, env: e, shares, logger });
  const first = await Promise.race([
    threads.ready.then(
      () => 'ready' as const,
      (err: unknown) => err,
    ),
    signal.signalled.then(() => 'signal' as const),
  ]);
  if (first !== 'ready') {
    signal.cancel();
    await threads.close().catch(() => {}); // what failed is reported below, or it was a SIGTERM
    if (first === 'signal') return logger.info('worker stopped before it started');
    throw first;
  }
  // This thread's own engine starts once the threads run, so a thread that fails to start
  // never has it to stop half-started.
  const engine = startEngine(
    e,
    { ...configs, worker: { ...configs.worker, concurrency: own } },
    { logger: logger.child({ thread: 0 }), metrics },
  );
  const server = await startMetricsServer({
    registry: { contentType: metrics.registry.contentType, metrics: () => threadedMetrics(metrics, threads) },
    port: e.METRICS_PORT,
    host: e.METRICS_HOST,
    extra: () => engine.crawlQueue.exportPrometheusMetrics(),
    healthy: () => threads.alive(),
  });
  logger.info(
    { concurrency: e.CONCURRENCY, threads: e.THREADS, metrics: server.port, host: os.hostname() },
    'worker started',
  );
  const died = await Promise.race([
    signal.signalled.then(() => undefined),
    threads.died.catch((err: unknown) => err),
  ]);
  signal.cancel();
  if (died) logger.fatal({ err: (died as Error).message }, 'a crawl thread died: stopping the worker');
  else logger.info({ graceMs: e.SHUTDOWN_GRACE_MS }, 'stopping: finishing in-flight visits');
  const [ownStop, threadsStop] = await Promise.allSettled([
    engine
      .close()
      .then(() => logger.info({ thread: 0, jobsCompleted: engine.jobsCompleted() }, 'crawl engine stopped')),
    threads.close(),
  ]);
  await server.close();
  if (died) throw died;
  for (const r of [ownStop, threadsStop]) if (r.status === 'rejected') throw r.reason;
  logger.info('worker stopped');
}

/**
 * /metrics of a threaded worker: the engines' counters, gauges and histograms summed over this
 * thread and the crawl threads; the process figures (CPU, RSS, handles, this thread's heap and
 * event loop) as this thread's registry has them, since summing them is meaningless and
 * prom-client's aggregation drops some (the start time).
 */
export async function threadedMetrics(
  own: ReturnType<typeof createMetrics>,
  threads: Pick<EngineThreads, 'metrics'>,
): Promise<string> {
  const mine = await own.registry.getMetricsAsJSON();
  const isProcess = (name: string) => name.startsWith(PROCESS_PREFIX);
  const engines = AggregatorRegistry.aggregate([
    mine.filter((m) => !isProcess(m.name)),
    ...(await threads.metrics()).map((t) => t.filter((m) => !isProcess(m.name))),
  ]);
  const processText = await Promise.all(
    mine.filter((m) => isProcess(m.name)).map((m) => own.registry.getSingleMetricAsString(m.name)),
  );
  return `${await engines.metrics()}${processText.map((t) => `${t}\n`).join('')}`;
}
