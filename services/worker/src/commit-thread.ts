import { parentPort, Worker, workerData } from 'node:worker_threads';
import {
  InfraError,
  type Observation,
  reviveError,
  type SerializedError,
  serializeError,
} from '@bitcrawl/model';
import { coalesceWrites, createCrawlQueue, Frontier, type FrontierPolicy } from '@bitcrawl/queue';
import { Redis } from 'ioredis';
import { type CommitOutcome, commitVisit, type VisitCommitter } from './committer.ts';
import { COMMIT_THREAD_KIND } from './thread-kind.ts';

/**
 * The commit thread (COMMIT_THREAD): an engine's commits run on a thread of their own, with its
 * own Redis connections and frontier. A commit is the per-answer bulk work of a round: finding
 * which of 1,000 gossiped entries this process has not asked about yet, sending the answer to
 * Redis, and enqueueing the admissions. On the engine's loop it was ~20% of that loop's CPU in
 * a mainnet-shaped round (profiled), and the loop is what bounds the round on two cores.
 * The job still waits for its commit: a visit is acknowledged only after it was recorded.
 */
export interface CommitThreadData {
  kind: typeof COMMIT_THREAD_KIND;
  redisUrl: string;
  frontier: FrontierPolicy;
}

type Done = { id: number; outcome: CommitOutcome } | { id: number; error: SerializedError };
type ToThread = { type: 'commit'; batch: { id: number; obs: Observation }[] } | { type: 'stop' };
type FromThread = { type: 'done'; batch: Done[] } | { type: 'stopped' };

/**
 * Messages between threads cost the sender ~5-30 µs each, and more amid a busy crawl: one
 * message per visit, its answer copied, took 4 s of the crawl loop's CPU in a 60,000-visit
 * round (profiled). Sent as one message per BATCH_MS, each answer's memory moved instead of
 * copied, it took 1.9-2.4 s; what is left is about the cloning of the observations themselves
 * (6-7 µs each, measured alone). A commit waits at most BATCH_MS longer, against a visit's
 * hundreds of milliseconds, well within the 50 ms in which an admitted address is to be dialed.
 */
export const BATCH_MS = 5;

function batcher<T>(send: (batch: T[], transfer: ArrayBuffer[]) => void) {
  let batch: T[] = [];
  let transfer: ArrayBuffer[] = [];
  const flush = () => {
    const b = batch;
    const t = transfer;
    batch = [];
    transfer = [];
    send(b, t);
  };
  return (item: T, moves?: ArrayBuffer) => {
    if (batch.length === 0) setTimeout(flush, BATCH_MS);
    batch.push(item);
    if (moves) transfer.push(moves);
  };
}

/**
 * The answer's own memory, when it can move to the commit thread: a buffer of its own (Node
 * cuts allocations under half its pool size, and the shared empty answer, from shared memory).
 */
function movable(addrs: Uint8Array): ArrayBuffer | undefined {
  const b = addrs.buffer;
  return b instanceof ArrayBuffer &&
    addrs.byteOffset === 0 &&
    addrs.byteLength === b.byteLength &&
    b.byteLength > Buffer.poolSize
    ? b
    : undefined;
}

export class CommitThreadError extends InfraError {
  readonly code = 'COMMIT_THREAD_DIED';
}

export interface CommitThread extends VisitCommitter {
  /** Rejects with CommitThreadError when the thread ends without being asked to. */
  died: Promise<never>;
}

/** A thread that does not stop when asked (its Redis gone) is terminated after this long. */
const STOP_WAIT_MS = 10_000;

/** This thread's data when it runs as a commit thread, else undefined. */
export function commitThreadData(): CommitThreadData | undefined {
  const d = workerData as CommitThreadData | undefined;
  return d?.kind === COMMIT_THREAD_KIND ? d : undefined;
}

/**
 * Starts a commit thread from `entry` (a script that runs ./thread-entry.ts). It does not wait
 * for the thread to run (loading its modules took 0.5-1.8 s, which delayed a crawl's first
 * visits): commits sent before are queued for it. Commits in flight when it dies (or cannot
 * start) reject with CommitThreadError, so their jobs are retried, and so does `died`.
 */
export function startCommitThread(entry: string, data: Omit<CommitThreadData, 'kind'>): CommitThread {
  const worker = new Worker(entry, { workerData: { kind: COMMIT_THREAD_KIND, ...data } });
  const waiting = new Map<number, { resolve: (o: CommitOutcome) => void; reject: (e: Error) => void }>();
  let next = 0;
  let stopping = false;
  let ended: Error | undefined;
  let failed: (err: Error) => void = () => {};
  const died = new Promise<never>((_, reject) => {
    failed = reject;
  });
  died.catch(() => {}); // watched by whoever runs the engine
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const end = (err: Error) => {
    if (ended) return;
    ended = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
    if (!stopping) failed(err);
  };
  const send = batcher<{ id: number; obs: Observation }>((batch, transfer) =>
    worker.postMessage({ type: 'commit', batch } satisfies ToThread, transfer),
  );
  worker.on('message', (m: FromThread) => {
    if (m.type === 'done')
      for (const d of m.batch) {
        const w = waiting.get(d.id);
        waiting.delete(d.id);
        if ('outcome' in d) w?.resolve(d.outcome);
        else w?.reject(reviveError(d.error));
      }
    else if (m.type === 'stopped') void worker.terminate();
  });
  worker.on('error', (err) => end(new CommitThreadError(`the commit thread failed: ${err.message}`)));
  worker.on('exit', (code) => end(new CommitThreadError(`the commit thread ended (exit code ${code})`)));
  return {
    died,
    // The answer's memory may move to the thread: obs.addrs is then empty here.
    commit(obs) {
      if (ended) return Promise.reject(ended);
      return new Promise((resolve, reject) => {
        const id = ++next;
        waiting.set(id, { resolve, reject });
        send({ id, obs }, movable(obs.addrs));
      });
    },
    async close() {
      stopping = true;
      if (ended) return;
      worker.postMessage({ type: 'stop' } satisfies ToThread);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((r) => {
        timer = setTimeout(r, STOP_WAIT_MS);
      });
      await Promise.race([exited, late]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}

/** The thread's life: commit what it is sent, one answer after another as they come, until stopped. */
export function runCommitThread(d: CommitThreadData): void {
  const port = parentPort;
  if (!port) throw new Error('runCommitThread runs only on a worker thread');
  const post = (m: FromThread) => port.postMessage(m);
  // As an engine's (engine.ts): the queue's connection retries for ever, the frontier's fails.
  const bull = coalesceWrites(new Redis(d.redisUrl, { maxRetriesPerRequest: null }));
  const redis = coalesceWrites(new Redis(d.redisUrl));
  const crawlQueue = createCrawlQueue(bull);
  const deps = { frontier: new Frontier(redis, d.frontier), crawlQueue };
  const reply = batcher<Done>((batch) => post({ type: 'done', batch }));
  port.on('message', (m: ToThread) => {
    if (m.type === 'commit')
      for (const { id, obs } of m.batch)
        commitVisit(deps, obs).then(
          (outcome) => reply({ id, outcome }),
          (err: unknown) => reply({ id, error: serializeError(err) }),
        );
    else
      void crawlQueue.close().finally(() => {
        bull.disconnect();
        redis.disconnect();
        port.removeAllListeners('message');
        post({ type: 'stopped' });
      });
  });
}
