/**
 * The part bench:sessions' client processes share: read the targets, keep CONCURRENCY visits
 * in flight until every target was visited PASSES times, and print one JSON line of figures.
 * Each client runs as its own plain-node process (an esbuild bundle, as the Docker image runs
 * the worker), so no client's memory or CPU is counted for another or for the bench itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { CHAINS, type ChainName } from '@bitcrawl/protocol';
import { sizeCrawlThreadHeaps, splitConcurrency } from '../src/worker-flags.ts';

export interface BenchTarget {
  network: 'ipv4';
  host: string;
  port: number;
}

export interface DriveResult {
  visits: number;
  ok: number;
  addrs: number;
  seconds: number;
  /**
   * Completed (ok) sessions per second between the 10th and the 90th percentile of their
   * completion times: the rate a worker holds on a long queue, without the start (CONCURRENCY
   * dials at once, nothing completes for a round trip or two) and the drain (the last
   * sessions finishing at falling concurrency), which a finite target list adds to `seconds`.
   */
  steadyRate: number;
  peak: number;
  /** Highest RSS sampled while CONCURRENCY visits were in flight. */
  rssMb: number;
  /** RSS with the code loaded and the targets read, before the first visit. */
  rssBeforeMb: number;
  cpuMsPerSession: number;
  /** Share of the crawl's wall time the event loop was busy (1 = its one JS thread was the limit). */
  eventLoopBusy: number;
  /** Event-loop busy time per session (ms), over every loop that ran visits (JS work per visit). */
  busyMsPerSession: number;
  /**
   * The main thread's own time per session (Linux schedstat; null elsewhere): on a core, and
   * runnable but waiting for one. Busy wall time is about their sum: a large wait says the
   * machine's cores, not this thread's work, set the rate.
   */
  mainCpuMsPerSession: number | null;
  mainWaitMsPerSession: number | null;
  /** Threads the visits ran on (see runClient). */
  threads: number;
}

/** The main thread's [on-CPU ns, run-queue wait ns], or null where /proc has no schedstat. */
function mainThreadSchedstat(): [number, number] | null {
  const file = `/proc/self/task/${process.pid}/schedstat`;
  if (!existsSync(file)) return null;
  const [cpu, wait] = readFileSync(file, 'utf8').trim().split(' ').map(Number);
  return cpu === undefined || wait === undefined ? null : [cpu, wait];
}

export type BenchVisit = (t: BenchTarget) => Promise<{ ok: boolean; addrs: number }>;

/**
 * Ok sessions per second between the 10th and 90th percentile of the ok completion times
 * (ms, in completion order). The same rule is applied to the baseline's times.
 */
export function steadyRate(doneAt: ArrayLike<number>, count: number): number {
  if (count < 10) return 0;
  const lo = Math.floor(0.1 * (count - 1));
  const hi = Math.floor(0.9 * (count - 1));
  const ms = (doneAt[hi] as number) - (doneAt[lo] as number);
  return ms > 0 ? ((hi - lo) * 1000) / ms : 0;
}

/**
 * argv: CHAIN CONCURRENCY TARGETS_FILE ("host port" lines) [PASSES (1)] [THREADS (1)].
 *
 * THREADS > 1 runs the visits on that many event loops of this process, as a worker with
 * THREADS=N runs its engines: this thread and N - 1 crawl threads, each with its share of
 * CONCURRENCY and every N-th target (nothing per visit crosses threads), the threads' heaps
 * sized as the worker sizes them (sizeCrawlThreadHeaps). The figures are the process's: CPU
 * and RSS are process-wide, completions are merged from all of them.
 */
export async function runClient(makeVisit: (chain: ChainName) => BenchVisit): Promise<void> {
  const share = workerData as ThreadShare | null;
  if (!isMainThread && share?.benchThread) {
    const { chain, targets, passes, concurrency } = share;
    const r = await drive(targets, passes, concurrency, makeVisit(chain));
    parentPort?.postMessage(r, [r.doneAt.buffer as ArrayBuffer]);
    return;
  }
  const [chain, concurrencyArg, file, passesArg = '1', threadsArg = '1'] = process.argv.slice(2);
  const passes = Number(passesArg);
  const threads = Number(threadsArg);
  const concurrency = Number(concurrencyArg);
  if (
    !chain ||
    !(chain in CHAINS) ||
    !Number.isInteger(concurrency) ||
    concurrency < 1 ||
    !file ||
    !Number.isInteger(passes) ||
    passes < 1 ||
    !Number.isInteger(threads) ||
    threads < 1 ||
    threads > concurrency
  )
    throw new Error('usage: CLIENT CHAIN CONCURRENCY TARGETS_FILE [PASSES] [THREADS]');
  const targets = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line): BenchTarget => {
      const [host, port] = line.split(' ');
      // The ceiling client dials with no policy in between: a name or a non-loopback address
      // here would be a lookup or a connection off this machine. Refuse it outright.
      if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host ?? ''))
        throw new Error(`bench target "${host}" is not a 127.0.0.0/8 address`);
      return { network: 'ipv4', host: host as string, port: Number(port) };
    });
  const result =
    threads === 1
      ? await drive(targets, passes, concurrency, makeVisit(chain as ChainName))
      : await driveThreads(chain as ChainName, targets, passes, concurrency, threads, makeVisit);
  const { doneAt: _, ...figures } = result;
  console.log(JSON.stringify(figures));
}

interface ThreadShare {
  benchThread: true;
  chain: ChainName;
  targets: BenchTarget[];
  passes: number;
  concurrency: number;
}

/** This thread's share and the crawl threads' results, merged into the process's figures. */
async function driveThreads(
  chain: ChainName,
  targets: BenchTarget[],
  passes: number,
  concurrency: number,
  threads: number,
  makeVisit: (chain: ChainName) => BenchVisit,
): Promise<ThreadResult> {
  sizeCrawlThreadHeaps(threads);
  const cpu0 = process.cpuUsage();
  const rssBeforeMb = process.memoryUsage.rss() / 2 ** 20;
  const script = process.argv[1] as string;
  const shares = splitConcurrency(concurrency, threads);
  const shareOf = (i: number) => ({
    targets: targets.filter((_, j) => j % threads === i),
    concurrency: shares[i] as number,
  });
  const spawned = Array.from({ length: threads - 1 }, (_, k) => {
    const i = k + 1; // share 0 is this thread's
    const share: ThreadShare = { benchThread: true, chain, passes, ...shareOf(i) };
    return new Promise<ThreadResult>((resolve, reject) => {
      const w = new Worker(script, { workerData: share });
      w.once('message', resolve);
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`bench thread ${i} exited ${code} without a result`)));
    });
  });
  const own = shareOf(0);
  const results = await Promise.all([
    drive(own.targets, passes, own.concurrency, makeVisit(chain)),
    ...spawned,
  ]);
  const cpu = process.cpuUsage(cpu0);
  const visits = results.reduce((n, r) => n + r.visits, 0);
  const ok = results.reduce((n, r) => n + r.ok, 0);
  const doneAt = new Float64Array(ok);
  let at = 0;
  for (const r of results) {
    doneAt.set(r.doneAt.subarray(0, r.ok), at);
    at += r.ok;
  }
  doneAt.sort();
  const start = Math.min(...results.map((r) => r.startedAt));
  const end = Math.max(...results.map((r) => r.endedAt));
  return {
    visits,
    ok,
    addrs: results.reduce((n, r) => n + r.addrs, 0),
    seconds: (end - start) / 1000,
    steadyRate: steadyRate(doneAt, ok),
    peak: results.reduce((n, r) => n + r.peak, 0),
    // Process-wide RSS, sampled by each thread while it ran its full share.
    rssMb: Math.max(...results.map((r) => r.rssMb)),
    rssBeforeMb,
    cpuMsPerSession: (cpu.user + cpu.system) / 1000 / visits, // every thread, and their start-up
    eventLoopBusy: Math.max(...results.map((r) => r.eventLoopBusy)), // the busiest loop
    busyMsPerSession: results.reduce((ms, r) => ms + r.busyMsPerSession * r.visits, 0) / visits,
    mainCpuMsPerSession: null, // schedstat is per thread; the per-thread figures are not merged
    mainWaitMsPerSession: null,
    threads,
    startedAt: start,
    endedAt: end,
    doneAt,
  };
}

/** A drive's figures, with what merging threads needs: absolute times (ms since the epoch). */
interface ThreadResult extends DriveResult {
  startedAt: number;
  endedAt: number;
  doneAt: Float64Array;
}

async function drive(
  targets: BenchTarget[],
  passes: number,
  concurrency: number,
  visit: BenchVisit,
): Promise<ThreadResult> {
  const visits = targets.length * passes;
  /** Completion time of each ok session, in order; preallocated so recording costs nothing. */
  const doneAt = new Float64Array(visits);
  let next = 0;
  let active = 0;
  let peak = 0;
  let ok = 0;
  let addrs = 0;
  let rssAtConcurrency = 0;
  const sampler = setInterval(() => {
    if (active >= concurrency) rssAtConcurrency = Math.max(rssAtConcurrency, process.memoryUsage.rss());
  }, 50);
  const rssBeforeMb = process.memoryUsage.rss() / 2 ** 20;
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const sched0 = mainThreadSchedstat();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < visits) {
        // Pass after pass over the same nodes: a new connection gets Core's (cached) answer again.
        const t = targets[next++ % targets.length] as BenchTarget;
        peak = Math.max(peak, ++active);
        const r = await visit(t);
        active--;
        if (r.ok) doneAt[ok++] = performance.timeOrigin + performance.now(); // comparable across threads
        addrs += r.addrs;
      }
    }),
  );
  const end = performance.now();
  const seconds = (end - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const sched1 = mainThreadSchedstat();
  clearInterval(sampler);
  return {
    visits,
    ok,
    addrs,
    seconds,
    steadyRate: steadyRate(doneAt, ok),
    peak,
    rssMb: rssAtConcurrency / 2 ** 20,
    rssBeforeMb,
    cpuMsPerSession: (cpu.user + cpu.system) / 1000 / visits,
    eventLoopBusy: elu.utilization,
    busyMsPerSession: elu.active / visits,
    mainCpuMsPerSession: sched0 && sched1 ? (sched1[0] - sched0[0]) / 1e6 / visits : null,
    mainWaitMsPerSession: sched0 && sched1 ? (sched1[1] - sched0[1]) / 1e6 / visits : null,
    threads: 1,
    startedAt: performance.timeOrigin + start,
    endedAt: performance.timeOrigin + end,
    doneAt,
  };
}
