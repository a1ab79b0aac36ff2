import { type MessagePort, parentPort, Worker, workerData } from 'node:worker_threads';
import { reviveError, type SerializedError, serializeError } from '@bitcrawl/model';
import { type ColumnType, lowerThisThread, type Store } from '@bitcrawl/storage';
import { createLogger, createMetrics, type LogLevel } from '@bitcrawl/telemetry';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { Redis } from 'ioredis';
import { loadGeoEnricher } from './geo.ts';
import { type IngesterConfig, startIngester } from './ingester.ts';

/**
 * The ingester on a thread of its own, for `bitcrawl crawl`: decoding packed answers into
 * ClickHouse rows is bulk work, and on the crawl's event loop it delayed dials and timers by
 * seconds. Same start function as the ingester service; only the wiring differs.
 *
 * The store stays the crawl's: the thread builds the rows and hands each insert to the thread
 * that opened the store (`storeOwner`), which runs it natively (off its event loop too). Two
 * chdb sessions on one data directory in one process hung at the end of a round.
 */
export interface IngestThreadData {
  kind: 'bitcrawl-ingest-thread';
  redisUrl: string;
  /** The owner's store, described: inserts go to it through the thread's port. */
  store: Pick<Store, 'engine' | 'version' | 'settings' | 'describe'>;
  config: IngesterConfig;
  logLevel: LogLevel;
}

type StoreOp =
  | { op: 'insertRowBinary'; table: string; columns: readonly ColumnType[]; bytes: Uint8Array }
  | {
      op: 'insert';
      params: {
        table: string;
        values: unknown[];
        format: 'JSONEachRow';
        clickhouse_settings?: ClickHouseSettings;
      };
    };

type FromThread =
  | { type: 'ready'; geo?: string }
  | { type: 'stopped' }
  | { type: 'died'; error: SerializedError }
  | ({ type: 'store'; id: number } & StoreOp);

type ToThread =
  | { type: 'stop'; drain?: boolean }
  | { type: 'store-result'; id: number; error?: SerializedError };

/**
 * A Store whose inserts run in the thread that owns the real one. The ingester only inserts
 * (rows as JSONEachRow, answers as RowBinary), so that is all it carries.
 */
function storeThroughPort(port: MessagePort, info: IngestThreadData['store']) {
  let next = 0;
  const waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  const call = (op: StoreOp, transfer: ArrayBuffer[] = []) =>
    new Promise<void>((resolve, reject) => {
      const id = ++next;
      waiting.set(id, { resolve, reject });
      port.postMessage({ type: 'store', id, ...op } satisfies FromThread, transfer);
    });
  const onResult = (m: Extract<ToThread, { type: 'store-result' }>) => {
    const w = waiting.get(m.id);
    waiting.delete(m.id);
    if (m.error) w?.reject(reviveError(m.error));
    else w?.resolve();
  };
  const client = {
    insert: (params: Extract<StoreOp, { op: 'insert' }>['params']) => call({ op: 'insert', params }),
  } as unknown as ClickHouseClient;
  const store: Store = {
    ...info,
    client,
    // The rows' memory moves to the owner, not copied, when it is certainly not Node's shared
    // pool of small buffers (moving a pool slab would detach every Buffer cut from it).
    insertRowBinary: (table, columns, bytes) =>
      call(
        { op: 'insertRowBinary', table, columns, bytes },
        bytes.buffer instanceof ArrayBuffer && bytes.buffer.byteLength > Buffer.poolSize
          ? [bytes.buffer]
          : [],
      ),
    close: async () => {},
  };
  return { store, onResult };
}

/** The thread's data when this code runs as an ingest thread, else undefined. */
export function ingestThreadData(): IngestThreadData | undefined {
  const d = workerData as IngestThreadData | undefined;
  return d?.kind === 'bitcrawl-ingest-thread' ? d : undefined;
}

/** The body of the thread: load, open, ingest until told to stop; every outcome is a message. */
export async function runIngestThread(d: IngestThreadData): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runIngestThread runs only on a worker thread');
  const post = (m: FromThread) => port.postMessage(m);
  // Background work: the crawl's loop goes first, and the backlog drains in the round's tail.
  lowerThisThread();
  const logger = createLogger({ service: 'ingester', level: d.logLevel, destination: process.stderr });
  let redis: Redis | undefined;
  const { store, onResult } = storeThroughPort(port, d.store);
  try {
    const geo = await loadGeoEnricher(d.config, logger);
    redis = new Redis(d.redisUrl);
    const ingester = startIngester(
      { redis, store, logger, metrics: createMetrics({ service: 'ingester', defaultMetrics: false }), geo },
      d.config,
    );
    ingester.stopped.catch((err: unknown) => post({ type: 'died', error: serializeError(err) }));
    port.on('message', (m: ToThread) => {
      if (m.type === 'store-result') return onResult(m);
      if (m.type !== 'stop') return;
      ingester
        .stop({ drain: m.drain === true })
        .then(
          () => post({ type: 'stopped' }),
          (err: unknown) => post({ type: 'died', error: serializeError(err) }),
        )
        .finally(() => {
          redis?.disconnect();
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
    post({ type: 'died', error: serializeError(err) });
    port.close();
  }
}

export interface IngestThread {
  /** What the thread loaded (GeoIP/ASN), for the crawl's progress line. */
  geo?: string;
  /** Flushes what it holds (with `drain`, everything in the stream first), then ends the thread. */
  stop(opts?: { drain?: boolean }): Promise<void>;
  /** Rejects when the ingester died (an error retrying cannot fix). */
  stopped: Promise<void>;
}

/** Runs one of the thread's inserts on the owner's store; the reply carries the error, if any. */
async function runStoreOp(store: Store, m: StoreOp): Promise<SerializedError | undefined> {
  try {
    if (m.op === 'insertRowBinary') await store.insertRowBinary(m.table, m.columns, m.bytes);
    else await store.client.insert(m.params);
    return undefined;
  } catch (err) {
    return serializeError(err);
  }
}

/**
 * Starts the ingest thread from `entry` (a script that calls runIngestThread) over `store`,
 * which this thread keeps and the ingest thread inserts into; resolves when it runs.
 */
export function startIngestThread(
  entry: string,
  data: Omit<IngestThreadData, 'kind' | 'store'>,
  store: Store,
): Promise<IngestThread> {
  const info = {
    engine: store.engine,
    version: store.version,
    settings: store.settings,
    describe: store.describe,
  };
  const worker = new Worker(entry, { workerData: { kind: 'bitcrawl-ingest-thread', ...data, store: info } });
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
      if (m.type === 'store') {
        void runStoreOp(store, m).then((error) =>
          worker.postMessage({
            type: 'store-result',
            id: m.id,
            ...(error ? { error } : {}),
          } satisfies ToThread),
        );
      } else if (m.type === 'ready') {
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
      else fail(reviveError(m.error));
    });
    worker.on('error', (err) => fail(err));
    worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`the ingest thread exited with status ${code}`));
      else settle?.resolve();
    });
  });
}
