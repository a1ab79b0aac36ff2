import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { sizeCrawlThreadHeaps } from '@bitcrawl/crawler/worker-flags';
import { InfraError } from '@bitcrawl/model';

import { createLogger, createMetrics, type Logger } from '@bitcrawl/telemetry';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { engineConfig, type WorkerServiceConfig } from './config.ts';
import { startEngine } from './engine.ts';

/**
 * Crawl threads (THREADS > 1): one worker process runs several event loops, each a whole crawl
 * engine (its own Redis connections and BullMQ consumer), so nothing per visit crosses threads
 * (cloning an Observation of hundreds of addresses costs more than the visit). The main thread
 * runs one engine itself and THREADS - 1 crawl threads beside it (an idle extra isolate would
 * cost ~40 MB); it serves the summed metrics, and fails the process when a thread dies, so the
 * orchestrator restarts it (a dead thread's jobs go back to the queue when their locks lapse,
 * as a dead process's do).
 */

/** The workerData key that marks a thread as a crawl thread. */
const ENGINE_THREAD = 'bitcrawlEngineThread';

export interface EngineThreadData {
  index: number;
  /** The config as the main thread read it: a thread does not read process.env. */
  config: WorkerServiceConfig;
  concurrency: number;
  /** This thread's own script, which its engine's commit thread runs too. */
  entry: string;
}

type ToThread = { type: 'metrics'; id: number } | { type: 'stop' };
type ThreadMetrics = MetricObjectWithValues<MetricValue<string>>[];
type FromThread =
  | { type: 'ready' }
  | { type: 'stopped'; visits?: number }
  | { type: 'metrics'; id: number; data: ThreadMetrics };

/** This thread's crawl-thread data, when it is one (see startEngineThreads). */
export function engineThreadData(): EngineThreadData | undefined {
  if (isMainThread) return undefined;
  return (workerData as Record<string, EngineThreadData> | null)?.[ENGINE_THREAD];
}

/** A thread that did not stop when asked is terminated after this long past the shutdown grace. */
const STOP_MARGIN_MS = 10_000;
/** A metrics scrape waits this long for a thread's figures. */
const METRICS_WAIT_MS = 3_000;

export class EngineThreadError extends InfraError {
  readonly code = 'ENGINE_THREAD_DIED';
}

export interface EngineThreads {
  /** Resolves once every thread has started its engine. */
  ready: Promise<void>;
  /** Rejects with EngineThreadError when a thread ends without being asked to. */
  died: Promise<never>;
  /**
   * Every thread's metrics, as registry.getMetricsAsJSON() gives them. A thread that does not
   * answer in time is given its last answer: a counter missing from one scrape would read as a
   * reset to Prometheus, and rate() would count the thread's whole total again.
   */
  metrics(): Promise<ThreadMetrics[]>;
  alive(): boolean;
  /**
   * Asks every thread to stop (each finishes or hands back its visits) and waits for them.
   * Rejects with EngineThreadError if one failed while stopping (its visits wait for their locks).
   */
  close(): Promise<void>;
}

/**
 * Starts one crawl thread per entry of `shares` (its concurrency), sized for `config.threads`
 * engines in all. `entry` is the script a thread runs, one that runs ./thread-entry.ts (the
 * CLI's worker-thread.mjs: dev, bin/ loads the TypeScript; image, the bundle), which finds its
 * share in workerData and runs `runEngineThread`.
 */
export function startEngineThreads(opts: {
  entry: string;
  config: WorkerServiceConfig;
  shares: readonly number[];
  logger: Logger;
}): EngineThreads {
  const { config, logger } = opts;
  let stopping = false;
  let failedStopping = false;
  let failed: ((err: Error) => void) | undefined;
  const died = new Promise<never>((_, reject) => {
    failed = reject;
  });
  died.catch(() => {}); // observed by whoever awaits it; never an unhandled rejection
  const pending = new Map<number, (data: ThreadMetrics) => void>();
  let nextId = 0;
  sizeCrawlThreadHeaps(config.threads); // the crawl threads share out the heap caps
  const threads = opts.shares.map((concurrency, i) => {
    const index = i + 1; // engine 0 is the main thread's
    const data: EngineThreadData = { index, config, concurrency, entry: opts.entry };
    const worker = new Worker(opts.entry, { workerData: { [ENGINE_THREAD]: data } });
    let exited = false;
    let last: ThreadMetrics = [];
    const ready = new Promise<void>((resolve) => {
      worker.on('message', (m: FromThread) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'metrics') pending.get(m.id)?.(m.data);
        // Its engine is closed (visits finished or handed back, connections closed): a library
        // timer left behind (BullMQ's stalled-job check, when closed during its first pass)
        // must not hold the thread for its interval.
        else if (m.type === 'stopped') {
          // Logged here, not in the thread: a thread's output reaches stdout through this
          // thread, and a line still on its way when the process exits was lost (e2e, loaded).
          logger.info({ thread: index, visits: m.visits ?? 0 }, 'crawl engine stopped');
          void worker.terminate();
        }
      });
    });
    const exit = new Promise<void>((resolve) => {
      worker.on('error', (err) => {
        if (stopping) failedStopping = true;
        logger.error({ thread: index, err: err.message }, 'crawl thread failed');
      });
      worker.on('exit', (code) => {
        exited = true;
        resolve();
        if (!stopping)
          failed?.(new EngineThreadError(`crawl thread ${index} ended (exit code ${code}) while running`));
      });
    });
    const metrics = () =>
      new Promise<ThreadMetrics>((resolve) => {
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          resolve(last); // busy: its previous figures, so no counter appears to go back
        }, METRICS_WAIT_MS);
        pending.set(id, (answer) => {
          clearTimeout(timer);
          pending.delete(id);
          last = answer;
          resolve(answer);
        });
        worker.postMessage({ type: 'metrics', id } satisfies ToThread);
      });
    return { worker, ready, exit, isExited: () => exited, metrics, lastMetrics: () => last };
  });
  return {
    ready: Promise.race([Promise.all(threads.map((t) => t.ready)).then(() => {}), died]),
    died,
    alive: () => !stopping && threads.every((t) => !t.isExited()),
    metrics: () => Promise.all(threads.map((t) => (t.isExited() ? t.lastMetrics() : t.metrics()))),
    async close() {
      stopping = true;
      for (const t of threads) if (!t.isExited()) t.worker.postMessage({ type: 'stop' } satisfies ToThread);
      const bound = config.worker.shutdownGraceMs + STOP_MARGIN_MS;
      await Promise.all(
        threads.map(async (t) => {
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<'late'>((r) => {
            timer = setTimeout(() => r('late'), bound);
          });
          if ((await Promise.race([t.exit, late])) === 'late') {
            logger.warn({ bound }, 'a crawl thread did not stop in time: terminating it');
            failedStopping = true;
            await t.worker.terminate();
          }
          clearTimeout(timer);
        }),
      );
      if (failedStopping) throw new EngineThreadError('a crawl thread failed while stopping');
    },
  };
}

/** A crawl thread's life: start its engine, answer metrics requests, stop when asked. */
export async function runEngineThread(d: EngineThreadData): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runEngineThread runs only in a worker thread');
  const logger = createLogger({ service: 'worker', level: d.config.logLevel }).child({ thread: d.index });
  // Process-wide figures (CPU, RSS, handles) come from the main thread's registry alone.
  const metrics = createMetrics({ service: 'worker', defaultMetrics: false });
  const engine = startEngine(engineConfig(d.config, d.concurrency), {
    logger,
    metrics,
    threadEntry: d.entry,
  });
  // A dead commit thread ends this thread, which fails the process (startEngineThreads' died).
  engine.died.catch((err: unknown) => {
    logger.fatal({ err: (err as Error).message }, 'the commit thread died');
    process.exit(1);
  });
  await new Promise<void>((resolve) => {
    port.on('message', (m: ToThread) => {
      if (m.type === 'stop') resolve();
      else if (m.type === 'metrics')
        void metrics.registry
          .getMetricsAsJSON()
          .then((data) => port.postMessage({ type: 'metrics', id: m.id, data } satisfies FromThread));
    });
    port.postMessage({ type: 'ready' } satisfies FromThread);
  });
  await engine.close();
  // pino writes asynchronously, and flushes on exit only on the main thread: what this thread
  // logged last must not be lost when the main thread ends it.
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  port.removeAllListeners('message');
  // The main thread logs the stop, and ends this thread.
  port.postMessage({ type: 'stopped', visits: engine.visitsDone() } satisfies FromThread);
  port.unref();
}
