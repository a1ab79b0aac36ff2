import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { type CrawlerConfig, fitConcurrencyToFdLimit } from '@bitcrawl/crawler';
import { splitConcurrency } from '@bitcrawl/crawler/worker-flags';
import { type IngesterConfig, loadGeoEnricher, startIngester, startIngestThread } from '@bitcrawl/ingester';
import { InfraError } from '@bitcrawl/model';
import {
  createCrawlQueue,
  Frontier,
  failedJobsByNetwork,
  ingestBacklog,
  type RevisitPolicy,
  requeueLost,
} from '@bitcrawl/queue';
import { newCrawlId, type SeederConfig, type SeedSources } from '@bitcrawl/seeder';
import { MissingBinaryError, startRedis, which } from '@bitcrawl/servers';
import {
  migrate,
  openStore,
  roundFigures,
  roundSummary,
  type Store,
  type StoreOptions,
  writeRoundRows,
} from '@bitcrawl/storage';
import { createMetrics, type Logger, type LogLevel } from '@bitcrawl/telemetry';
import { startEngine, startEngineThreads, type WorkerConfig } from '@bitcrawl/worker';
import { Redis } from 'ioredis';
import { describeConnectionError, ensureRedisReachable, redactUrl } from '../reachability.ts';
import { UsageError } from '../usage-error.ts';
import { unroutedLines } from './crawl-messages.ts';
import { type StartedRound, startRound } from './round-record.ts';

export interface LocalCrawlOptions {
  redisUrl?: string;
  store: StoreOptions;
  crawler: CrawlerConfig;
  seeder: SeederConfig;
  worker: WorkerConfig;
  ingester: IngesterConfig;
  revisit: RevisitPolicy;
  /**
   * One round, then return. Without it rounds run back to back (o.seeder.roundIntervalMs apart,
   * each revisiting every address known in o.seeder.revisitKnownMs) until the signal.
   */
  once: boolean;
  crawlId?: string;
  /** Each round's summary as it ends and its `rounds` rows are written (the last one too). */
  onRound?: (summary: CrawlSummary) => void;
  progress: (line: string) => void;
  logger: Logger;
  logLevel?: LogLevel;
  /**
   * The ingest thread's script: ingestion then runs on its own thread, off the crawl's event
   * loop. Without it (in-process tests) the ingester shares the crawl's loop.
   */
  ingestThreadEntry?: string;
  /**
   * Crawl engines: this thread's and `threads - 1` crawl threads running `workerThreadEntry`
   * (the worker's THREADS), each with its share of the concurrency. Without the entry, one.
   */
  threads?: number;
  workerThreadEntry?: string;
}

export interface CrawlSummary {
  crawlId: string;
  /** Addresses dialed (those this host had no way to reach are counted in `notDialed`, not here). */
  visited: number;
  reachable: number;
  seconds: number;
  byNetwork: { network: string; visited: number; reachable: number; notDialed: number }[];
  /** Addresses not dialed for want of a proxy or route (onion, I2P, CJDNS), per network. */
  notDialed: number;
  /** Where the round's seeds came from (--seed, DNS, or Bitcoin Core's fixed seeds). */
  seeds: SeedSources;
  /** Where the round is stored: the embedded store's directory or the server's URL. */
  store: string;
  /** Addresses left unvisited because their jobs failed for good (0 in a healthy round). */
  failedVisits: number;
  /** Stopped by a signal before the round was done: the figures are of a partial round. */
  interrupted: boolean;
  /** The crawl's event-loop delay, 99th percentile over the round (ms): timers and reads wait this long. */
  loopLagP99Ms: number;
}

/** Event-loop delay of this thread: over the whole run, and since the last progress line. */
function loopLag() {
  const all = monitorEventLoopDelay({ resolution: 10 });
  const recent = monitorEventLoopDelay({ resolution: 10 });
  all.enable();
  recent.enable();
  const ms = (h: IntervalHistogram) => Math.round(h.percentile(99) / 1e6);
  return {
    sinceLast() {
      const v = ms(recent);
      recent.reset();
      return v;
    },
    overall: () => ms(all),
    stop() {
      all.disable();
      recent.disable();
    },
  };
}

/** How long each shutdown step (worker, ingester, queue) may take before the crawl goes on. */
const SHUTDOWN_STEP_MS = 30_000;

/** Whether `p` settled within `ms` (its result or error is not needed, only that it ended). */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const ended = await Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => r(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return ended;
}

/**
 * `bitcrawl crawl`: seeder, worker and ingester in one process around one Redis (a private
 * redis-server when none is given) and one store (embedded chdb by default). With `once` it
 * finishes the round, flushes everything into storage and returns the round summary.
 */
export async function runLocalCrawl(o: LocalCrawlOptions, signal: AbortSignal): Promise<CrawlSummary> {
  const started = Date.now();
  const lag = loopLag();
  // First: a bad database file is a configuration error, reported before anything starts.
  // (The ingest thread loads its own copy; this one only checks the file and is dropped.)
  let geo = await loadGeoEnricher(o.ingester, o.logger);
  if (geo?.db) o.progress(`GeoIP/ASN: ${geo.db.ranges} ranges from ${o.ingester.geoDb}`);
  if (o.ingestThreadEntry) geo = undefined;
  // A --redis that is not there fails here, in one line, instead of retrying for ever.
  if (o.redisUrl) await ensureRedisReachable(o.redisUrl);
  else if (!which('redis-server')) throw new MissingBinaryError('redis-server', 'redis-server');
  // The store before the private Redis: a store that cannot be opened then leaves nothing running.
  const store = await openCrawlStore(o.store);
  o.progress(`storage: ${store.describe} (ClickHouse ${store.version})`);
  let privateRedis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let bull: Redis | undefined;
  let redis: Redis | undefined;
  let ingestRedis: Redis | undefined;
  const metrics = createMetrics({ service: 'crawl', defaultMetrics: false });
  try {
    // Its own process group: Ctrl-C must not stop it under the shutdown that still drains it.
    privateRedis = o.redisUrl ? undefined : await startRedis({ ownProcessGroup: true });
    const redisUrl = o.redisUrl ?? (privateRedis as NonNullable<typeof privateRedis>).url;
    if (privateRedis) o.progress(`started a private redis-server at ${redisUrl}`);
    bull = new Redis(redisUrl, { maxRetriesPerRequest: null });
    redis = new Redis(redisUrl);
    // Its own connection: the ingester blocks on XREADGROUP, and a Redis connection runs one
    // command at a time, so sharing the frontier's made every admission wait out that block
    // (about a second per gossip hop). The ingest thread opens its own.
    if (!o.ingestThreadEntry) ingestRedis = new Redis(redisUrl);
    await migrate(store);
    const crawlQueue = createCrawlQueue(bull);
    const frontier = new Frontier(redis, o.revisit);
    if (o.crawlId) await refuseRestartedRound(store, frontier, o.crawlId);
    // The seeder's warnings (DNS failures, fixed seeds) are said in words, not as JSON too.
    const seedLogger = o.logger.isLevelEnabled('debug') ? o.logger : o.logger.child({}, { level: 'error' });
    const seedDeps = { frontier, crawlQueue, logger: seedLogger };
    let round = await startRound(seedDeps, store, o.seeder, o.crawlId ?? newCrawlId(), o.progress);
    const fit = fitConcurrencyToFdLimit(o.worker.concurrency);
    if (fit.warning) o.progress(fit.warning);
    // The worker service's engines, as `bitcrawl worker` runs them (their own Redis connections):
    // with threads, the visits' CPU is spread over the machine's cores (one engine's event loop
    // is what limits a round on two cores: measured, the crawl used ~0.8 of them).
    const worker = await startEngines(o, redisUrl, fit.concurrency, metrics);
    const ingester = o.ingestThreadEntry
      ? await startIngestThread(
          o.ingestThreadEntry,
          { redisUrl, config: o.ingester, logLevel: o.logLevel ?? 'warn' },
          store,
        )
      : startIngester({ redis: ingestRedis as Redis, store, logger: o.logger, metrics, geo }, o.ingester);
    // The ingester only stops early on an error it cannot retry: then the crawl cannot finish.
    let ingesterDied: Error | undefined;
    ingester.stopped.catch((err: Error) => {
      ingesterDied = err;
    });
    const checkIngester = () => {
      if (ingesterDied) throw ingesterDied;
    };

    let failedVisits = 0;
    /** The last round's summary once its rows are written (a stop between rounds writes none). */
    let recorded: CrawlSummary | undefined;
    const finish = async (interrupted: boolean) =>
      finishRound(store, o, {
        round,
        failedByNetwork: failedVisits > 0 ? await failedJobsByNetwork(crawlQueue, round.crawlId) : {},
        failedVisits,
        interrupted,
        runStarted: started,
        loopLagP99Ms: lag.overall(),
      });
    try {
      let last = { at: Date.now(), visited: 0 };
      let idleSince = 0;
      for (let tick = 1; ; tick++) {
        // Checked four times a second (a round ends when its last visit does), printed once.
        await new Promise((r) => setTimeout(r, 250));
        checkIngester();
        const p = await frontier.progress(round.crawlId);
        const counts = await crawlQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        const queued = Object.values(counts).reduce((a, b) => a + b, 0);
        const now = Date.now();
        let done = p.visited >= p.seen && queued === 0;
        if (tick % 4 === 0 || done || signal.aborted) {
          const rate = ((p.visited - last.visited) * 1000) / Math.max(1, now - last.at);
          last = { at: now, visited: p.visited };
          o.progress(
            `visited ${p.visited}/${p.seen}  reachable ${p.ok}  queued ${queued} (active ${counts.active ?? 0})  ${rate.toFixed(0)} visits/s  ingest backlog ${await ingestBacklog(redis)}  loop lag p99 ${lag.sinceLast()} ms${stalledWhy(rate, counts.active ?? 0, o.crawler)}`,
          );
        }
        if (signal.aborted) break;
        // Nothing queued but addresses left unvisited for a few seconds: their jobs were lost
        // (a crash outside the frontier's outbox), so give them jobs again; or their jobs failed
        // for good (retries used up on infrastructure errors), which --once reports and ends on.
        if (!done && queued === 0 && p.visited < p.seen) {
          idleSince ||= now;
          if (now - idleSince >= 3000) {
            const { added, withJob } = await requeueLost({ frontier, crawlQueue, redis }, round.crawlId);
            if (added > 0) o.progress(`re-enqueued ${added} addresses whose jobs were lost`);
            if (added === 0 && withJob > 0) {
              failedVisits = withJob;
              o.progress(
                `${withJob} addresses left unvisited: their jobs failed (see the failed jobs in the queue)`,
              );
              done = true;
            }
            idleSince = 0;
          }
        } else idleSince = 0;
        if (!done) continue;
        if (o.once) break;
        // Rounds back to back: this one is recorded once its visits are stored; the next starts
        // ROUND_INTERVAL_MS after this one started, or now if it ran longer.
        if (!(await ingestCaughtUp(redis, signal, checkIngester))) break;
        recorded = await finish(false);
        o.onRound?.(recorded);
        const wait = round.started + o.seeder.roundIntervalMs - Date.now();
        if (wait > 0) o.progress(`next round in ${Math.ceil(wait / 1000)} s (ROUND_INTERVAL_MS)`);
        await sleepUnless(wait, signal);
        if (signal.aborted) break;
        // Round ids name the second they start: never the previous one's again.
        const id = newCrawlId(Math.max(Date.now(), round.started + 1000));
        round = await startRound(seedDeps, store, o.seeder, id, o.progress);
        recorded = undefined;
        failedVisits = 0;
        last = { at: Date.now(), visited: 0 };
        idleSince = 0;
      }
    } finally {
      // Bounded: with Redis gone (killed, out of memory) the close would wait on it for ever.
      if (!(await within(worker.close(), SHUTDOWN_STEP_MS)))
        o.progress(`the worker did not stop within ${SHUTDOWN_STEP_MS / 1000} s; going on without it`);
    }
    // The ingester stores what the stream still holds (unless interrupted), then stops. It may
    // take as long as it keeps making progress; 30 s without any, and what is left stays in Redis.
    checkIngester();
    if (
      !(await drained(
        ingester.stop({ drain: !signal.aborted }),
        () => ingestBacklog(redis as Redis),
        o.progress,
      ))
    )
      o.progress(
        `the ingester made no progress for ${SHUTDOWN_STEP_MS / 1000} s: what it held is still in Redis, not stored`,
      );
    // The round's rows are written when it ends: finished, or stopped by a signal (interrupted).
    // A stop between two rounds leaves the last one as it was recorded.
    const summary = recorded ?? (await finish(signal.aborted));
    if (!recorded) o.onRound?.(summary);
    await within(crawlQueue.close(), SHUTDOWN_STEP_MS);
    return summary;
  } finally {
    lag.stop();
    await store.close();
    bull?.disconnect();
    redis?.disconnect();
    ingestRedis?.disconnect();
    await privateRedis?.stop();
  }
}

/**
 * A round's figures from the store (its visits stored), its `rounds` rows written, as the
 * summary `crawl` prints.
 */
async function finishRound(
  store: Store,
  o: LocalCrawlOptions,
  r: {
    round: StartedRound;
    failedByNetwork: Record<string, number>;
    failedVisits: number;
    interrupted: boolean;
    runStarted: number;
    loopLagP99Ms: number;
  },
): Promise<CrawlSummary> {
  const { crawlId } = r.round;
  const finished = Date.now();
  const byNetwork = await roundFigures(store, crawlId);
  // Addresses never dialed for want of a proxy or route are no visits: counted apart, one line each.
  for (const line of unroutedLines(byNetwork.map((x) => ({ network: x.network, addresses: x.notDialed }))))
    o.progress(line);
  await writeRoundRows(
    store,
    {
      crawlId,
      started: r.round.started,
      finished,
      seedsByNetwork: r.round.seedsByNetwork,
      failedByNetwork: r.failedByNetwork,
      interrupted: r.interrupted,
    },
    byNetwork,
  );
  return {
    crawlId,
    visited: byNetwork.reduce((s, x) => s + x.visited, 0),
    reachable: byNetwork.reduce((s, x) => s + x.reachable, 0),
    seconds: (finished - r.runStarted) / 1000,
    byNetwork,
    notDialed: byNetwork.reduce((s, x) => s + x.notDialed, 0),
    seeds: r.round.sources,
    store: store.describe,
    failedVisits: r.failedVisits,
    interrupted: r.interrupted,
    loopLagP99Ms: r.loopLagP99Ms,
  };
}

/**
 * Between rounds: waits until the ingester has stored everything the stream holds (so the
 * round's figures are whole). False when stopped by the signal first.
 */
async function ingestCaughtUp(redis: Redis, signal: AbortSignal, check: () => void): Promise<boolean> {
  while (!signal.aborted) {
    check();
    if ((await ingestBacklog(redis)) === 0) return true;
    await sleepUnless(250, signal);
  }
  return false;
}

/** Sleeps `ms` (nothing when <= 0), or until the signal. */
function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits for the ingester's drain to end while the backlog keeps shrinking: true when it ended,
 * false after SHUTDOWN_STEP_MS without progress (a dead ClickHouse, say).
 */
async function drained(
  stop: Promise<void>,
  backlog: () => Promise<number>,
  progress: (line: string) => void,
): Promise<boolean> {
  let last = Number.POSITIVE_INFINITY;
  let stuckSince = Date.now();
  for (;;) {
    if (await within(stop, 5_000)) return true;
    const now = await backlog().catch(() => last);
    if (now < last) {
      last = now;
      stuckSince = Date.now();
      progress(`storing what the round left in the stream: ${now} observations to go`);
    } else if (Date.now() - stuckSince >= SHUTDOWN_STEP_MS) return false;
  }
}

/** The store could not be opened (not a connection failure: a bad --store directory, say). */
export class StoreUnusableError extends InfraError {
  readonly code = 'STORE_UNUSABLE';
}

async function openCrawlStore(opts: StoreOptions): Promise<Store> {
  try {
    return await openStore(opts);
  } catch (err) {
    if (describeConnectionError(err)) throw err; // printed as "cannot connect to ..." by main
    const where = opts.url ? `ClickHouse at ${redactUrl(opts.url)}` : `--store ${opts.dir ?? 'data'}`;
    throw new StoreUnusableError(
      `cannot open the store (${where}): ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * A --crawl-id the store already holds, in a Redis that knows nothing of it (a private Redis,
 * or another one), would visit every address again under the same round id: the report would
 * count each twice. Continuing a round is what the Redis that crawled it is for.
 */
async function refuseRestartedRound(store: Store, frontier: Frontier, crawlId: string): Promise<void> {
  if ((await frontier.progress(crawlId)).seen > 0) return; // this Redis has the round: it continues
  const stored = (await roundSummary(store, crawlId)).reduce((n, r) => n + Number(r.visited), 0);
  if (stored > 0)
    throw new UsageError(
      `--crawl-id ${crawlId}: the store already has ${stored} visits of that round, and this Redis has no ` +
        'record of it, so its addresses would be visited and counted again; choose a new --crawl-id, ' +
        'or pass the --redis that crawled it to continue the round',
    );
}

/**
 * Why a crawl makes no progress while visits are active: they wait on slow peers (most often a
 * getaddr answer that never comes: a node that knows fewer than 5 addresses does not answer).
 */
export function stalledWhy(rate: number, active: number, crawler: CrawlerConfig): string {
  if (rate > 0 || active === 0) return '';
  const s = Math.round(crawler.timeouts.getaddrMs / 1000);
  return `  (${active} visits waiting on slow peers: a getaddr answer is waited for up to ${s} s, --getaddr-timeout; on loopback use --profile loopback)`;
}

/** The crawl's engines: one on this thread and, with o.threads > 1, the others on crawl threads. */
async function startEngines(
  o: LocalCrawlOptions,
  redisUrl: string,
  concurrency: number,
  metrics: ReturnType<typeof createMetrics>,
): Promise<{ close(): Promise<void> }> {
  const threads = o.workerThreadEntry ? Math.max(1, Math.min(o.threads ?? 1, concurrency)) : 1;
  const config = { redisUrl, crawler: o.crawler, worker: o.worker, frontier: o.revisit };
  if (threads === 1)
    return startEngine({ ...config, worker: { ...o.worker, concurrency } }, { logger: o.logger, metrics });
  const [own, ...shares] = splitConcurrency(concurrency, threads) as [number, ...number[]];
  const crawlThreads = startEngineThreads({
    entry: o.workerThreadEntry as string,
    config: {
      ...config,
      worker: { ...o.worker, concurrency },
      threads,
      metrics: { port: 0, host: '127.0.0.1' },
      logLevel: o.logLevel ?? 'warn',
    },
    shares,
    logger: o.logger,
  });
  try {
    await crawlThreads.ready;
  } catch (err) {
    await crawlThreads.close().catch(() => {});
    throw err;
  }
  const engine = startEngine(
    { ...config, worker: { ...o.worker, concurrency: own } },
    { logger: o.logger, metrics },
  );
  return {
    async close() {
      const results = await Promise.allSettled([engine.close(), crawlThreads.close()]);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    },
  };
}
