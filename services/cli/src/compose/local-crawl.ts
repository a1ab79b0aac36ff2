import { type CrawlerConfig, fitVisitsToFdLimit } from '@bitcrawl/crawler';
import { type IngesterConfig, loadGeoEnricher, startIngester, startIngestThread } from '@bitcrawl/ingester';
import { createCrawlQueue, Frontier, ingestBacklog, type RevisitPolicy, SeederLease } from '@bitcrawl/queue';
import { type RoundWatch, runRounds, type SeederConfig } from '@bitcrawl/seeder';
import { MissingBinaryError, startRedis, which } from '@bitcrawl/servers';
import {
  BACKGROUND_NICE,
  knownEndpoints,
  lowerEngineThreads,
  migrate,
  type StoreOptions,
} from '@bitcrawl/storage';
import { createMetrics, type Logger, type LogLevel, loopLag } from '@bitcrawl/telemetry';
import type { WorkerConfig } from '@bitcrawl/worker';
import { Redis } from 'ioredis';
import { ensureRedisReachable } from '../reachability.ts';
import { startEngines } from './crawl-engines.ts';
import { progressPrinter } from './crawl-progress.ts';
import { openCrawlStore, refuseRestartedRound } from './crawl-store.ts';
import { type CrawlSummary, finishRound, NO_SOURCES, startedLines } from './round-record.ts';
import { drained, SHUTDOWN_STEP_MS, within } from './shutdown-steps.ts';

export type { CrawlSummary } from './round-record.ts';

/** The ingester as the crawl drives it, on its own thread or on this one. */
type Ingesting = Pick<Awaited<ReturnType<typeof startIngestThread>>, 'stop' | 'stopped'>;

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
  // Embedded chdb's inserts and merges yield the CPU to the crawl's loop, as the ingest thread does.
  const stopLowering = store.engine === 'chdb' ? lowerEngineThreads() : undefined;
  let privateRedis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let bull: Redis | undefined;
  let redis: Redis | undefined;
  let ingestRedis: Redis | undefined;
  const metrics = createMetrics({ service: 'crawl', defaultMetrics: false });
  try {
    // Its own process group: Ctrl-C must not stop it under the shutdown that still drains it.
    // It yields the CPU to the crawl's loop too: on shape M, six alternated pairs, loop lag p99
    // 53 ms on average against 60 (rounds about even), for ~50 MB more held in this process.
    privateRedis = o.redisUrl
      ? undefined
      : await startRedis({ ownProcessGroup: true, socket: true, nice: BACKGROUND_NICE });
    const redisUrl = o.redisUrl ?? (privateRedis as NonNullable<typeof privateRedis>).url;
    if (privateRedis) o.progress(`started a private redis-server at ${redisUrl}`);
    bull = new Redis(redisUrl, { maxRetriesPerRequest: null });
    redis = new Redis(redisUrl);
    // Its own connection: the ingester blocks on XREADGROUP, and a Redis connection runs one
    // command at a time, so sharing the frontier's made every admission wait out that block
    // (about a second per gossip hop). The ingest thread opens its own.
    if (!o.ingestThreadEntry) ingestRedis = new Redis(redisUrl);
    // The schema is brought up to date while the engines start and the seeds' first visits run
    // (0.3-0.6 s of a start, measured): what those record waits in the stream for the ingester,
    // which starts once it is done, as does the read of the round's known addresses.
    const migrated = migrate(store);
    migrated.catch(() => {}); // reported by the ingester's start and by the rounds' `known`
    const crawlQueue = createCrawlQueue(bull);
    const frontier = new Frontier(redis, o.revisit);
    if (o.crawlId) {
      await migrated;
      await refuseRestartedRound(store, frontier, o.crawlId);
    }
    // The seeder's warnings (DNS failures, fixed seeds) are said in words, not as JSON too.
    const seedLogger = o.logger.isLevelEnabled('debug') ? o.logger : o.logger.child({}, { level: 'error' });
    const seedDeps = { frontier, crawlQueue, logger: seedLogger, redis };
    // The ingest thread loads its modules (about 0.5 s of a core) while the crawl starts: until
    // it runs, what the first visits record waits in the stream. It is watched from here on:
    // a thread that fails to start, or dies, ends the crawl at the next poll.
    const ingesterStarting: Promise<Ingesting> = migrated.then(() =>
      o.ingestThreadEntry
        ? startIngestThread(
            o.ingestThreadEntry,
            { redisUrl, config: o.ingester, logLevel: o.logLevel ?? 'warn' },
            store,
          )
        : startIngester({ redis: ingestRedis as Redis, store, logger: o.logger, metrics, geo }, o.ingester),
    );
    // The ingester only stops early on an error it cannot retry, and a commit or crawl thread
    // only on a fault: then the crawl cannot finish.
    let threadDied: Error | undefined;
    const died = (err: Error) => {
      threadDied ??= err;
    };
    ingesterStarting.then((ingester) => ingester.stopped.catch(died), died);
    const checkThreads = () => {
      if (threadDied) throw threadDied;
    };
    const fit = fitVisitsToFdLimit(o.worker);
    if (fit.warning) o.progress(fit.warning);
    let worker: Awaited<ReturnType<typeof startEngines>>;
    try {
      const { concurrency, pendingDials } = fit;
      worker = await startEngines(
        { ...o, worker: { ...o.worker, concurrency, pendingDials } },
        redisUrl,
        metrics,
      );
      worker.died.catch(died);
    } catch (err) {
      // Nothing else stops the ingester on this path.
      await ingesterStarting.then((i) => i.stop()).catch(() => {}); // err is the one reported
      throw err;
    }
    const live = redis;
    // Once: the worker, then the ingester, which stores what the stream still holds (unless
    // interrupted). It may take as long as it keeps making progress; 30 s without any, and what
    // is left stays in Redis. Bounded: with Redis gone the worker's close would wait for ever.
    let stopping: Promise<void> | undefined;
    const stopEngines = () => {
      stopping ??= (async () => {
        if (!(await within(worker.close(), SHUTDOWN_STEP_MS)))
          o.progress(`the worker did not stop within ${SHUTDOWN_STEP_MS / 1000} s; going on without it`);
        checkThreads();
        const ingester = await ingesterStarting;
        const stored = await drained(
          ingester.stop({ drain: !signal.aborted }),
          () => ingestBacklog(live),
          o.progress,
        );
        if (!stored)
          o.progress(
            `the ingester made no progress for ${SHUTDOWN_STEP_MS / 1000} s: what it held is still in Redis, not stored`,
          );
      })();
      return stopping;
    };

    const printer = progressPrinter(o.progress, o.crawler, lag, signal);
    // The seeder's round watch: lost jobs given again after 3 s idle; jobs failed for good end
    // the round (--once reports it). With --once the round ends with its last visit (the
    // ingester is drained as the crawl stops); back to back, once its visits are stored too.
    const watch: RoundWatch = {
      pollMs: 250,
      idleRequeueMs: 3000,
      untilStored: !o.once,
      onPoll(p) {
        checkThreads();
        printer.onPoll(p);
      },
      onRequeued: (added) => o.progress(`re-enqueued ${added} addresses whose jobs were lost`),
      onFailed: (n) =>
        o.progress(`${n} addresses left unvisited: their jobs failed (see the failed jobs in the queue)`),
    };
    /** The last round's summary once its rows are written (a stop between rounds writes none). */
    let recorded: CrawlSummary | undefined;
    let sources = NO_SOURCES;
    try {
      // The seeder's own round loop (its lease, its current-round note, its schedule), with
      // crawl's round id, --once, the known addresses from the store (a private Redis forgets
      // them), and rows crawl writes itself: after the last round, only once the ingester has
      // stored everything (the round's figures are read from the store).
      await runRounds(seedDeps, o.seeder, signal, watch, new SeederLease(redis), {
        ...(o.crawlId ? { firstCrawlId: o.crawlId } : {}),
        once: o.once,
        async *known(since) {
          await migrated;
          yield* knownEndpoints(store, since);
        },
        onStarted(r) {
          sources = r.sources;
          printer.restart();
          for (const line of startedLines(r, o.seeder)) o.progress(line);
        },
        onStandingBy: (holder) =>
          o.progress(`another seeder (${holder}) leads the rounds on this Redis: waiting until it stops`),
        onWait: (ms) => o.progress(`next round in ${Math.ceil(ms / 1000)} s (ROUND_INTERVAL_MS)`),
        async record(ended, end) {
          if (o.once || end.interrupted) await stopEngines();
          recorded = await finishRound(store, o.progress, {
            ended,
            sources,
            failedVisits: end.failed,
            runStarted: started,
            loopLagP99Ms: lag.overall(),
          });
          sources = NO_SOURCES;
          o.onRound?.(recorded);
        },
      });
    } finally {
      await stopEngines().catch(() => {}); // a failure that ended the rounds is the one reported
    }
    checkThreads();
    // Stopped before any round began (a signal at once, or waiting for another seeder's lease):
    // no round id (crawlId ''), nothing visited.
    const summary = recorded ?? {
      ...emptySummary(store.describe, lag.overall()),
      seconds: (Date.now() - started) / 1000,
    };
    await within(crawlQueue.close(), SHUTDOWN_STEP_MS);
    return summary;
  } finally {
    lag.stop();
    stopLowering?.();
    await store.close();
    bull?.disconnect();
    redis?.disconnect();
    ingestRedis?.disconnect();
    await privateRedis?.stop();
  }
}

function emptySummary(store: string, loopLagP99Ms: number): CrawlSummary {
  return {
    crawlId: '',
    visited: 0,
    reachable: 0,
    seconds: 0,
    byNetwork: [],
    notDialed: 0,
    seeds: NO_SOURCES,
    store,
    failedVisits: 0,
    interrupted: true,
    loopLagP99Ms,
  };
}
