import { parentPort, Worker, workerData } from 'node:worker_threads';
import { openStore, type StoreOptions } from '@bitcrawl/storage';
import { createLogger, createMetrics, type LogLevel } from '@bitcrawl/telemetry';
import { Redis } from 'ioredis';
import { loadGeoEnricher } from './geo.ts';
import { type IngesterConfig, startIngester } from './ingester.ts';

/**
 * The ingester on a thread of its own, for `bitcrawl crawl`: decoding packed answers into
 * ClickHouse rows is bulk work, and on the crawl's event loop it delayed dials and timers by
 * seconds. Same start function as the ingester service; only the wiring differs. chdb allows
 * one data directory per process, which the crawl's own store and this one share.
 */
export interface IngestThreadData {
  kind: 'bitcrawl-ingest-thread';
  redisUrl: string;
  store: StoreOptions;
  config: IngesterConfig;
  logLevel: LogLevel;
}

type FromThread =
  | { type: 'ready'; geo?: string }
  | { type: 'stopped' }
  | { type: 'died'; error: { name: string; message: string; code?: string } };

/** The thread's data when this code runs as an ingest thread, else undefined. */
export function ingestThreadData(): IngestThreadData | undefined {
  const d = workerData as IngestThreadData | undefined;
  return d?.kind === 'bitcrawl-ingest-thread' ? d : undefined;
}

function serialize(err: unknown): { name: string; message: string; code?: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
}

/** The body of the thread: load, open, ingest until told to stop; every outcome is a message. */
export async function runIngestThread(d: IngestThreadData): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runIngestThread runs only on a worker thread');
  const post = (m: FromThread) => port.postMessage(m);
  const logger = createLogger({ service: 'ingester', level: d.logLevel, destination: process.stderr });
  let redis: Redis | undefined;
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    const geo = await loadGeoEnricher(d.config, logger);
    store = await openStore(d.store);
    redis = new Redis(d.redisUrl);
    const ingester = startIngester(
      { redis, store, logger, metrics: createMetrics({ service: 'ingester', defaultMetrics: false }), geo },
      d.config,
    );
    ingester.stopped.catch((err: unknown) => post({ type: 'died', error: serialize(err) }));
    port.on('message', (m: { type: string; drain?: boolean }) => {
      if (m.type !== 'stop') return;
      ingester
        .stop({ drain: m.drain === true })
        .then(
          () => post({ type: 'stopped' }),
          (err: unknown) => post({ type: 'died', error: serialize(err) }),
        )
        .finally(() => {
          redis?.disconnect();
          void store?.close();
          port.close();
        });
    });
    const described = [
      geo?.db ? `${geo.db.ranges} ranges from ${d.config.geoDb}` : '',
      geo?.city ? `city MMDB ${geo.city.files.join(', ')}` : '',
    ].filter(Boolean);
    post({ type: 'ready', ...(described.length > 0 ? { geo: described.join('; ') } : {}) });
  } catch (err) {
    redis?.disconnect();
    await store?.close();
    post({ type: 'died', error: serialize(err) });
    port.close();
  }
}

/** An error from the thread, with its name and code kept (the CLI maps codes to exit statuses). */
function revive(e: { name: string; message: string; code?: string }): Error {
  const err = new Error(e.message) as Error & { code?: string };
  err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
}

export interface IngestThread {
  /** What the thread loaded (GeoIP/ASN), for the crawl's progress line. */
  geo?: string;
  /** Flushes what it holds (with `drain`, everything in the stream first), then ends the thread. */
  stop(opts?: { drain?: boolean }): Promise<void>;
  /** Rejects when the ingester died (an error retrying cannot fix). */
  stopped: Promise<void>;
}

/** Starts the ingest thread from `entry` (a script that calls runIngestThread); resolves when it runs. */
export function startIngestThread(
  entry: string,
  data: Omit<IngestThreadData, 'kind'>,
): Promise<IngestThread> {
  const worker = new Worker(entry, { workerData: { kind: 'bitcrawl-ingest-thread', ...data } });
  return new Promise((resolveStart, rejectStart) => {
    let started = false;
    let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
    const stopped = new Promise<void>((resolve, reject) => {
      settle = { resolve, reject };
    });
    stopped.catch(() => {}); // watched by the caller; not unhandled here
    const fail = (err: Error) => {
      if (!started) rejectStart(err);
      settle?.reject(err);
    };
    worker.on('message', (m: FromThread) => {
      if (m.type === 'ready') {
        started = true;
        resolveStart({
          ...(m.geo ? { geo: m.geo } : {}),
          stopped,
          async stop(opts = {}) {
            worker.postMessage({ type: 'stop', drain: opts.drain === true });
            await stopped;
          },
        });
      } else if (m.type === 'stopped') settle?.resolve();
      else fail(revive(m.error));
    });
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`the ingest thread exited with status ${code}`));
      else settle?.resolve();
    });
  });
}
