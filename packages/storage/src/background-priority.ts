import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * The nice value of the crawl's storage work: the ingest thread, and embedded chdb's threads
 * (inserts and merges). On 2 cores they took turns on the CPU with the crawl's event loop,
 * whose delays show as loop lag and slower dials. Niced, they take what the loop leaves; the
 * ingest backlog they build mid-round (bounded by MAX_INGEST_BACKLOG) drains in the round's
 * tail, while the last visits wait out their timers. On shape M, nine alternated pairs: rounds
 * 57.9 s on average against 65.6, loop lag p99 53 ms against 65.
 *
 * Raising a nice value needs no privilege; lowering it again does, so this is for threads that
 * stay background work for their whole life.
 */
export const BACKGROUND_NICE = 10;

/** The nice value of thread `tid` raised to `nice` (never lowered); false when it cannot be. */
function lower(tid: number, nice: number): boolean {
  try {
    if (getPriority(tid) < nice) setPriority(tid, nice);
    return true;
  } catch {
    return false; // the thread ended meanwhile, or the system refuses
  }
}

/**
 * Lowers the priority of the calling thread only (Linux, where a thread has an id of its own
 * that setpriority takes). Elsewhere it does nothing and returns false: there the same call
 * would lower the whole process.
 */
export function lowerThisThread(nice = BACKGROUND_NICE): boolean {
  if (process.platform !== 'linux') return false;
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    return false;
  }
  return Number.isInteger(tid) && tid > 0 && lower(tid, nice);
}

/** Name prefixes of the threads Node starts (libuv's pool, V8's helpers, workers). */
const NODE_THREADS = /^(node|libuv|V8|Worker)/i;

/**
 * Lowers the priority of embedded chdb's threads, now and every `everyMs` (ClickHouse starts
 * threads as it needs them), until the returned stop is called. They are found by name:
 * ClickHouse names every thread it starts (ThreadPool, BgSchPool, ...), while Node's keep the
 * process's name or one of NODE_THREADS. Linux only; elsewhere it does nothing.
 */
export function lowerEngineThreads(nice = BACKGROUND_NICE, everyMs = 1000): () => void {
  if (process.platform !== 'linux') return () => {};
  const main = threadName(process.pid);
  const scan = () => {
    let tids: string[];
    try {
      tids = readdirSync('/proc/self/task');
    } catch {
      return;
    }
    for (const t of tids) {
      const tid = Number(t);
      if (tid === process.pid) continue;
      const name = threadName(tid);
      if (name === undefined || name === main || NODE_THREADS.test(name)) continue;
      lower(tid, nice);
    }
  };
  scan();
  const timer = setInterval(scan, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

function threadName(tid: number): string | undefined {
  try {
    return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
