import { type CrawlerConfig, createVisitor } from '@bitcrawl/crawler';
import { type IngesterConfig, loadGeoEnricher, startIngester } from '@bitcrawl/ingester';
import { createCrawlQueue, Frontier, ingestBacklog, type RevisitPolicy, requeueLost } from '@bitcrawl/queue';
import { newCrawlId, type SeederConfig, seedRound } from '@bitcrawl/seeder';
import { migrate, openStore, roundSummary, type Store, type StoreOptions } from '@bitcrawl/storage';
import { createMetrics, type Logger } from '@bitcrawl/telemetry';
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
  /** Days of addr_gossip kept (applied at each round's end). */
  gossipRetentionDays: number;
  progress: (line: string) => void;
  logger: Logger;
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
  // First: a bad database file is a configuration error, reported before anything starts.
  const geo = await loadGeoEnricher(o.ingester, o.logger);
  if (geo?.db) o.progress(`GeoIP/ASN: ${geo.db.ranges} ranges from ${o.ingester.geoDb}`);
  if (geo?.city) o.progress(`GeoIP city (MMDB): ${geo.city.files.join(', ')}`);
  // A --redis that is not there fails here, in one line, instead of retrying for ever.
  if (o.redisUrl) await ensureRedisReachable(o.redisUrl);
  else if (!which('redis-server')) throw new MissingBinaryError('redis-server', 'redis-server');
  // The store before the private Redis: a store that cannot be opened then leaves nothing running.
  const store = await openCrawlStore(o.store);
  o.progress(`storage: ${store.describe} (ClickHouse ${store.version})`);
  let privateRedis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let bull: Redis | undefined;
  let redis: Redis | undefined;
  const metrics = createMetrics({ service: 'crawl', defaultMetrics: false });
  try {
    // Its own process group: Ctrl-C must not stop it under the shutdown that still drains it.
    privateRedis = o.redisUrl ? undefined : await startRedis({ ownProcessGroup: true });
    const redisUrl = o.redisUrl ?? (privateRedis as NonNullable<typeof privateRedis>).url;
    if (privateRedis) o.progress(`started a private redis-server at ${redisUrl}`);
    bull = new Redis(redisUrl, { maxRetriesPerRequest: null });
    redis = new Redis(redisUrl);
    await migrate(store);
    const crawlQueue = createCrawlQueue(bull);
    const frontier = new Frontier(redis, o.revisit);
    const crawlId = o.crawlId ?? newCrawlId();
    if (o.crawlId) await refuseRestartedRound(store, frontier, o.crawlId);
    const roundStarted = Date.now();
    const seeded = await seedRound({ frontier, crawlQueue, logger: o.logger }, o.seeder, crawlId);
    o.progress(`round ${crawlId}: ${seeded.enqueued} seed addresses enqueued`);
    const visitor = createVisitor(o.crawler, { logger: o.logger, metrics });
    const worker = startWorker(
      { connection: bull, crawlQueue, frontier, visitor, logger: o.logger, metrics },
      o.worker,
    );
    const ingester = startIngester({ redis, store, logger: o.logger, metrics, geo }, o.ingester);
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
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        checkIngester();
        const p = await frontier.progress(crawlId);
        const counts = await crawlQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
        const queued = Object.values(counts).reduce((a, b) => a + b, 0);
        const now = Date.now();
        const rate = ((p.visited - last.visited) * 1000) / Math.max(1, now - last.at);
        last = { at: now, visited: p.visited };
        o.progress(
          `visited ${p.visited}/${p.seen}  reachable ${p.ok}  queued ${queued} (active ${counts.active ?? 0})  ${rate.toFixed(0)} visits/s  ingest backlog ${await ingestBacklog(redis)}`,
        );
        if (signal.aborted) break;
        if (o.once && p.visited >= p.seen && queued === 0) break;
        // Nothing queued but addresses left unvisited for a few seconds: their jobs were lost
        // (a crash outside the frontier's outbox), so give them jobs again; or their jobs failed
        // for good (retries used up on infrastructure errors), which --once reports and ends on.
        if (queued === 0 && p.visited < p.seen) {
          idleSince ||= now;
          if (now - idleSince >= 3000) {
            const { added, withJob } = await requeueLost({ frontier, crawlQueue, redis }, crawlId);
            if (added > 0) o.progress(`re-enqueued ${added} addresses whose jobs were lost`);
            if (added === 0 && withJob > 0 && o.once) {
              failedVisits = withJob;
              o.progress(
                `${withJob} addresses left unvisited: their jobs failed (see the failed jobs in the queue)`,
              );
              break;
            }
            idleSince = 0;
          }
        } else idleSince = 0;
      }
    } finally {
      // Bounded: with Redis gone (killed, out of memory) the close would wait on it for ever.
      if (!(await within(worker.close(), SHUTDOWN_STEP_MS)))
        o.progress(`the worker did not stop within ${SHUTDOWN_STEP_MS / 1000} s; going on without it`);
    }
    // Let the ingester drain the stream, then stop it (it flushes what it holds).
    while (!signal.aborted && (await ingestBacklog(redis)) > 0) {
      checkIngester();
      await new Promise((r) => setTimeout(r, 200));
    }
    checkIngester();
    if (!(await within(ingester.stop(), SHUTDOWN_STEP_MS)))
      o.progress(
        `the ingester did not stop within ${SHUTDOWN_STEP_MS / 1000} s: what it held is still in Redis, not stored`,
      );
    const failed = failedVisits > 0 ? await failedByNetwork(crawlQueue, crawlId) : {};
    await within(crawlQueue.close(), SHUTDOWN_STEP_MS);
    const rows = await roundSummary(store, crawlId);
    // The round's `rounds` rows (issue 14): written when it ends, interrupted or not.
    await recordRound(store, {
      crawlId,
      started: roundStarted,
      finished: Date.now(),
      summary: rows,
      seedsByNetwork: seeded.byNetwork,
      failedByNetwork: failed,
      interrupted: signal.aborted,
      gossipRetentionDays: o.gossipRetentionDays,
    });
    const byNetwork = rows.map((r) => ({
      network: r.network,
      visited: Number(r.visited),
      reachable: Number(r.reachable),
    }));
    return {
      crawlId,
      visited: byNetwork.reduce((s, r) => s + r.visited, 0),
      reachable: byNetwork.reduce((s, r) => s + r.reachable, 0),
      seconds: (Date.now() - started) / 1000,
      byNetwork,
      failedVisits,
      interrupted: signal.aborted,
    };
  } finally {
    await store.close();
    bull?.disconnect();
    redis?.disconnect();
    await privateRedis?.stop();
  }
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
