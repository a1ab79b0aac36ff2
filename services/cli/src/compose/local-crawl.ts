import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { type CrawlerConfig, createVisitor, fitConcurrencyToFdLimit } from '@bitcrawl/crawler';
import { type IngesterConfig, loadGeoEnricher, startIngester, startIngestThread } from '@bitcrawl/ingester';
import type { Endpoint } from '@bitcrawl/protocol';
import { createCrawlQueue, Frontier, ingestBacklog, type RevisitPolicy, requeueLost } from '@bitcrawl/queue';
import { newCrawlId, type SeederConfig, seedKnown, seedRound } from '@bitcrawl/seeder';
import {
  knownEndpoints,
  migrate,
  openStore,
  roundSummary,
  type Store,
  type StoreOptions,
} from '@bitcrawl/storage';
import { createMetrics, type Logger, type LogLevel } from '@bitcrawl/telemetry';
import { MissingBinaryError, startRedis, which } from '@bitcrawl/testkit';
import { startWorker, type WorkerConfig } from '@bitcrawl/worker';
import { Redis } from 'ioredis';
import { describeConnectionError, ensureRedisReachable, redactUrl } from '../reachability.ts';
import { UsageError } from '../usage-error.ts';
import { failedByNetwork, recordRound } from './round-record.ts';

export interface LocalCrawlOptions {
  redisUrl?: string;
  store: StoreOptions;
  crawler: CrawlerConfig;
  seeder: SeederConfig;
  worker: WorkerConfig;
  ingester: IngesterConfig;
  revisit: RevisitPolicy;
  once: boolean;
  crawlId?: string;
  /** Days of gossip kept (applied at start). */
  gossipRetentionDays: number;
  /** Continuous rounds (without `once`): start interval, and how far back known addresses are revisited. */
  rounds: { intervalMs: number; knownForMs: number };
  /** Called with each finished round's summary in continuous mode. */
  onRound?: (summary: CrawlSummary) => void;
  progress: (line: string) => void;
  logger: Logger;
  logLevel?: LogLevel;
  /**
   * The ingest thread's script: ingestion then runs on its own thread, off the crawl's event
   * loop. Without it (in-process tests) the ingester shares the crawl's loop.
   */
  ingestThreadEntry?: string;
}

export interface CrawlSummary {
  crawlId: string;
  visited: number;
  reachable: number;
  seconds: number;
  byNetwork: { network: string; visited: number; reachable: number }[];
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
  if (geo?.city) o.progress(`GeoIP city (MMDB): ${geo.city.files.join(', ')}`);
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
    let crawlId = o.crawlId ?? newCrawlId();
    if (o.crawlId) await refuseRestartedRound(store, frontier, o.crawlId);
    // A round: the seeds, then every address the store saw in the revisit horizon (issue 14).
    const startRound = async (id: string) => {
      const at = Date.now();
      const deps = { frontier, crawlQueue, logger: o.logger };
      const seeded = await seedRound(deps, o.seeder, id);
      let known = 0;
      for await (const page of knownEndpoints(store, at - o.rounds.knownForMs))
        known += await seedKnown(deps, id, page as Endpoint[]);
      o.progress(`round ${id}: ${seeded.enqueued} seed addresses enqueued, and ${known} known addresses`);
      return { started: at, seeded };
    };
    let round = await startRound(crawlId);
    let recorded = false;
    const visitor = createVisitor(o.crawler, { logger: o.logger, metrics });
    const fit = fitConcurrencyToFdLimit(o.worker.concurrency);
    if (fit.warning) o.progress(fit.warning);
    const worker = startWorker(
      { connection: bull, crawlQueue, frontier, visitor, logger: o.logger, metrics },
      { ...o.worker, concurrency: fit.concurrency },
    );
    const ingester = o.ingestThreadEntry
      ? await startIngestThread(o.ingestThreadEntry, {
          redisUrl,
          store: o.store,
          config: o.ingester,
          logLevel: o.logLevel ?? 'warn',
        })
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
    try {
      let last = { at: Date.now(), visited: 0 };
      let idleSince = 0;
      for (let tick = 1; ; tick++) {
        // Checked four times a second (a round ends when its last visit does), printed once.
        await new Promise((r) => setTimeout(r, 250));
        checkIngester();
        const p = await frontier.progress(crawlId);
        const counts = await crawlQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        const queued = Object.values(counts).reduce((a, b) => a + b, 0);
        const now = Date.now();
        let done = p.visited >= p.seen && queued === 0;
        if (tick % 4 === 0 || done || signal.aborted) {
          const rate = ((p.visited - last.visited) * 1000) / Math.max(1, now - last.at);
          last = { at: now, visited: p.visited };
          o.progress(
            `visited ${p.visited}/${p.seen}  reachable ${p.ok}  queued ${queued} (active ${counts.active ?? 0})  ${rate.toFixed(0)} visits/s  ingest backlog ${await ingestBacklog(redis)}  loop lag p99 ${lag.sinceLast()} ms`,
          );
        }
        if (signal.aborted) break;
        // Nothing queued but addresses left unvisited for a few seconds: their jobs were lost
        // (a crash outside the frontier's outbox), so give them jobs again; or their jobs failed
        // for good (retries used up on infrastructure errors), which --once reports and ends on.
        if (queued === 0 && p.visited < p.seen) {
          idleSince ||= now;
          if (now - idleSince >= 3000) {
            const { added, withJob } = await requeueLost({ frontier, crawlQueue, redis }, crawlId);
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
        // Continuous rounds: record this one once its visits are stored, then start the next
        // ROUND_INTERVAL_MS after this one started, or now if it ran longer.
        await drainIngest(redis, signal, checkIngester);
        const summary = await finishRound(store, o, {
          crawlId,
          started: round.started,
          seedsByNetwork: round.seeded.byNetwork,
          failedByNetwork: failedVisits > 0 ? await failedByNetwork(crawlQueue, crawlId) : {},
          failedVisits,
          interrupted: false,
          runStarted: started,
          loopLagP99Ms: lag.overall(),
        });
        o.onRound?.(summary);
        recorded = true;
        const wait = round.started + o.rounds.intervalMs - Date.now();
        if (wait > 0) o.progress(`next round in ${Math.ceil(wait / 1000)} s`);
        await sleepUnless(wait, signal);
        if (signal.aborted) break;
        crawlId = newCrawlId();
        round = await startRound(crawlId);
        recorded = false;
        failedVisits = 0;
        last = { at: Date.now(), visited: 0 };
      }
    } finally {
      // Bounded: with Redis gone (killed, out of memory) the close would wait on it for ever.
      if (!(await within(worker.close(), SHUTDOWN_STEP_MS)))
        o.progress(`the worker did not stop within ${SHUTDOWN_STEP_MS / 1000} s; going on without it`);
    }
    // The ingester stores what the stream still holds (unless interrupted), then stops.
    checkIngester();
    if (!(await within(ingester.stop({ drain: !signal.aborted }), SHUTDOWN_STEP_MS)))
      o.progress(
        `the ingester did not stop within ${SHUTDOWN_STEP_MS / 1000} s: what it held is still in Redis, not stored`,
      );
    const failed = failedVisits > 0 ? await failedByNetwork(crawlQueue, crawlId) : {};
    await within(crawlQueue.close(), SHUTDOWN_STEP_MS);
    // The round's `rounds` rows (issue 14): written when it ends, interrupted or not (a round
    // recorded before the stop, between two continuous rounds, is not written again).
    return await finishRound(store, o, {
      crawlId,
      started: round.started,
      seedsByNetwork: round.seeded.byNetwork,
      failedByNetwork: failed,
      failedVisits,
      interrupted: signal.aborted && !recorded,
      runStarted: started,
      write: !recorded,
      loopLagP99Ms: lag.overall(),
    });
  } finally {
    lag.stop();
    await store.close();
    bull?.disconnect();
    redis?.disconnect();
    ingestRedis?.disconnect();
    await privateRedis?.stop();
  }
}

/** Waits until the ingester has stored everything in the stream (or the crawl is stopped). */
async function drainIngest(redis: Redis, signal: AbortSignal, check: () => void): Promise<void> {
  while (!signal.aborted && (await ingestBacklog(redis)) > 0) {
    check();
    await new Promise((r) => setTimeout(r, 200));
  }
  check();
}

async function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** Writes a finished round's `rounds` rows (unless `write` is false) and returns its summary. */
async function finishRound(
  store: Store,
  o: LocalCrawlOptions,
  r: {
    crawlId: string;
    started: number;
    seedsByNetwork: Record<string, number>;
    failedByNetwork: Record<string, number>;
    failedVisits: number;
    interrupted: boolean;
    runStarted: number;
    write?: boolean;
    loopLagP99Ms: number;
  },
): Promise<CrawlSummary> {
  const rows = await roundSummary(store, r.crawlId);
  if (r.write !== false)
    await recordRound(store, {
      crawlId: r.crawlId,
      started: r.started,
      finished: Date.now(),
      summary: rows,
      seedsByNetwork: r.seedsByNetwork,
      failedByNetwork: r.failedByNetwork,
      interrupted: r.interrupted,
    });
  const byNetwork = rows.map((x) => ({
    network: x.network,
    visited: Number(x.visited),
    reachable: Number(x.reachable),
  }));
  return {
    crawlId: r.crawlId,
    visited: byNetwork.reduce((n, x) => n + x.visited, 0),
    reachable: byNetwork.reduce((n, x) => n + x.reachable, 0),
    seconds: (Date.now() - r.runStarted) / 1000,
    byNetwork,
    failedVisits: r.failedVisits,
    interrupted: r.interrupted,
    loopLagP99Ms: r.loopLagP99Ms,
  };
}

/** The store could not be opened (not a connection failure: a bad --store directory, say). */
export class StoreUnusableError extends Error {
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
