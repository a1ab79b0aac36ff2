import type { Endpoint } from '@bitcrawl/protocol';
import {
  clearCurrentRound,
  currentRound,
  failedJobsByNetwork,
  ingestBacklog,
  newCrawlId,
  pushRoundEnded,
  type RoundEnded,
  requeueLost,
  SeederLease,
  saveCurrentRound,
} from '@bitcrawl/queue';
import type { Redis } from 'ioredis';
import { type SeedDeps, type SeederConfig, type SeedSources, seedKnown, seedRound } from './seeder.ts';

export interface RoundWatch {
  /** How often the round's progress is read. */
  pollMs: number;
  /** Unvisited addresses with nothing queued this long: their jobs were lost (or failed). */
  idleRequeueMs: number;
  /**
   * The round ends once the ingester has stored every visit (its backlog empty: true figures),
   * as the seeder and a continuous crawl need; false (`crawl --once`, which drains the ingester
   * as it stops): once the last visit is done.
   */
  untilStored?: boolean;
  /** Each poll's figures (the crawl's progress line); it may throw to end the watch. */
  onPoll?: (poll: RoundPoll) => void | Promise<void>;
  /** Lost jobs given again (default: a warning in the log). */
  onRequeued?: (added: number) => void;
  /** Addresses left unvisited because their jobs failed for good (default: a warning). */
  onFailed?: (unvisited: number) => void;
}

/** One reading of a round's progress. */
export interface RoundPoll {
  visited: number;
  seen: number;
  reachable: number;
  /** Jobs waiting, active, delayed or prioritized. */
  queued: number;
  active: number;
  /** Stream entries the ingester has not stored yet. */
  backlog: number;
  /** Every address seen is visited and nothing is queued. */
  allVisited: boolean;
}

const DEFAULT_WATCH: RoundWatch = { pollMs: 1000, idleRequeueMs: 5000 };

/** How a round ended, as the watch saw it. */
export interface RoundEnd {
  visited: number;
  reachable: number;
  /** Addresses left unvisited because their jobs failed for good. */
  failed: number;
  interrupted: boolean;
  lostLead?: true;
}

/**
 * What a composition changes in the round loop; the seeder service takes the defaults. `crawl`
 * runs the same loop with its own: its round id, one round with --once, the known addresses from
 * its store (its private Redis forgets them), progress lines, and its own recording of the round.
 */
export interface RoundHooks {
  /** The first new round's id (`crawl --crawl-id`); later rounds are named by their start. */
  firstCrawlId?: string;
  /** Return once one round has ended and been recorded. */
  once?: boolean;
  /** The addresses seen visited since `sinceMs`, in pages (default: the frontier's revisit state). */
  known?: (sinceMs: number) => AsyncIterable<Endpoint[]>;
  /** A round was seeded: its seeds' count and sources, and how many known addresses it revisits. */
  onStarted?: (r: { crawlId: string; enqueued: number; sources: SeedSources; known: number }) => void;
  /**
   * Records an ended round (its `rounds` rows). Default: noted in bitcrawl:rounds:ended for the
   * ingester, which writes the rows. The round is forgotten (a new one may start) only after it.
   */
  record?: (ended: RoundEnded, end: RoundEnd) => Promise<void>;
  /** The wait before the next round (ms, > 0). */
  onWait?: (ms: number) => void;
  /** Another seeder holds the lease: this one waits (default: a warning in the log). */
  onStandingBy?: (holder: string) => void;
}

/**
 * The long-running seeder: rounds back to back. Each starts from the seeds and every address
 * the revisit state says was visited in the last revisitKnownMs (admitted whether due or not),
 * is watched until it ends (every address visited, nothing queued, the ingester caught up),
 * and is then noted for the ingester, which writes its `rounds` rows. The next one starts
 * roundIntervalMs after this one started, or at once if it ran longer. A stop mid-round notes
 * that round as interrupted.
 *
 * One seeder leads at a time (SeederLease): another one stands by, and takes over within the
 * lease's expiry when the leader dies. The round in progress is kept in Redis from before its
 * seeding, so a seeder that takes over (or the same one restarted after a crash) resumes it
 * instead of starting another beside it; seeding again is harmless (admission and job ids
 * de-duplicate), so a round whose seeding was cut short is seeded again.
 *
 * With `hooks.once` it returns the recorded round's end; undefined when stopped before leading.
 */
export async function runRounds(
  deps: SeedDeps & { redis: Redis },
  config: SeederConfig,
  signal: AbortSignal,
  watch: RoundWatch = DEFAULT_WATCH,
  lease: SeederLease = new SeederLease(deps.redis),
  hooks: RoundHooks = {},
): Promise<RoundEnd | undefined> {
  let previous = 0;
  let firstId = hooks.firstCrawlId;
  const known = hooks.known ?? ((since: number) => deps.frontier.knownSince(since));
  const record = hooks.record ?? ((ended: RoundEnded) => pushRoundEnded(deps.redis, ended));
  try {
    while (!signal.aborted) {
      if (!lease.held()) {
        const standingBy =
          hooks.onStandingBy ??
          ((holder: string) =>
            deps.logger.warn({ holder }, 'another seeder leads the rounds: standing by until it stops'));
        if (!(await lease.acquire(signal, standingBy))) return undefined;
        deps.logger.info({ seeder: lease.id }, 'leading the rounds');
      }
      let round = await currentRound(deps.redis);
      // A round asked for by its id is that one: another left running is not resumed under it.
      if (round && firstId !== undefined && round.crawlId !== firstId) round = undefined;
      if (round)
        deps.logger.warn({ crawlId: round.crawlId }, 'resuming the round a previous seeder left running');
      else {
        const started = nextRoundStart(previous);
        round = { crawlId: firstId ?? newCrawlId(started), started, seedsByNetwork: {} };
        await saveCurrentRound(deps.redis, round);
        // Housekeeping first: revisit state older than the revisit horizon is forgotten.
        const pruned = await deps.frontier.prune();
        if (pruned > 0) deps.logger.info({ pruned }, 'pruned stale revisit state');
      }
      previous = round.started;
      firstId = undefined;
      const { crawlId, started } = round;
      if (Object.keys(round.seedsByNetwork).length === 0) {
        const seeded = await seedRound(deps, config, crawlId);
        let revisits = 0;
        for await (const page of known(started - config.revisitKnownMs))
          revisits += await seedKnown(deps, crawlId, page);
        round = { ...round, seedsByNetwork: seeded.byNetwork };
        await saveCurrentRound(deps.redis, round);
        deps.logger.info({ crawlId, seeds: seeded.enqueued, known: revisits }, 'round started');
        hooks.onStarted?.({ crawlId, enqueued: seeded.enqueued, sources: seeded.sources, known: revisits });
      }
      const end = await watchRound(deps, crawlId, signal, watch, () => lease.held());
      if (end.lostLead) {
        deps.logger.warn(
          { crawlId },
          'lost the lead (the lease lapsed): the seeder that holds it now runs the round',
        );
        continue;
      }
      const failedByNetwork = end.failed > 0 ? await failedJobsByNetwork(deps.crawlQueue, crawlId) : {};
      await record(
        {
          crawlId,
          started,
          finished: Date.now(),
          seedsByNetwork: round.seedsByNetwork,
          failedByNetwork,
          interrupted: end.interrupted,
        },
        end,
      );
      await clearCurrentRound(deps.redis);
      deps.logger.info({ crawlId, ...end, seconds: (Date.now() - started) / 1000 }, 'round ended');
      if (hooks.once) return end;
      const next = started + config.roundIntervalMs;
      if (next > Date.now() && !signal.aborted) hooks.onWait?.(next - Date.now());
      await sleepUntil(next, signal);
    }
  } finally {
    await lease.release();
  }
}

/**
 * Waits for round `crawlId` to end: every address seen visited, nothing queued and (untilStored)
 * the ingester's backlog empty. Lost jobs are given again; jobs that failed for good end the
 * round (counted in `failed`). The seeder and `crawl` both watch their rounds with it.
 */
export async function watchRound(
  deps: SeedDeps & { redis: Redis },
  crawlId: string,
  signal: AbortSignal,
  watch: RoundWatch = DEFAULT_WATCH,
  leading: () => boolean = () => true,
): Promise<RoundEnd> {
  const untilStored = watch.untilStored ?? true;
  const requeued =
    watch.onRequeued ??
    ((added: number) => deps.logger.warn({ crawlId, added }, 're-enqueued addresses whose jobs were lost'));
  const failed =
    watch.onFailed ??
    ((n: number) => deps.logger.warn({ crawlId, failed: n }, 'addresses left unvisited: their jobs failed'));
  let idleSince = 0;
  for (;;) {
    await sleepUnless(watch.pollMs, signal);
    const p = await deps.frontier.progress(crawlId);
    if (!leading())
      return { visited: p.visited, reachable: p.ok, failed: 0, interrupted: false, lostLead: true };
    const end = (failed: number, interrupted: boolean) => ({
      visited: p.visited,
      reachable: p.ok,
      failed,
      interrupted,
    });
    const counts = await deps.crawlQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    const queued = Object.values(counts).reduce((a, b) => a + b, 0);
    const backlog = await ingestBacklog(deps.redis);
    const allVisited = queued === 0 && p.visited >= p.seen;
    const poll = { visited: p.visited, seen: p.seen, reachable: p.ok, queued, backlog, allVisited };
    await watch.onPoll?.({ ...poll, active: counts.active ?? 0 });
    if (signal.aborted) return end(0, true);
    if (allVisited) {
      if (backlog === 0 || !untilStored) return end(0, false);
      continue;
    }
    if (queued > 0) {
      idleSince = 0;
      continue;
    }
    idleSince ||= Date.now();
    if (Date.now() - idleSince < watch.idleRequeueMs) continue;
    idleSince = 0;
    const { added, withJob } = await requeueLost(
      { frontier: deps.frontier, crawlQueue: deps.crawlQueue, redis: deps.redis },
      crawlId,
    );
    if (added > 0) requeued(added);
    if (added === 0 && withJob > 0 && (backlog === 0 || !untilStored)) {
      failed(withJob);
      return end(withJob, false);
    }
  }
}

/** When a round after one started at `previous` starts: now, but never in that one's second (round ids name it). */
export const nextRoundStart = (previous: number): number => Math.max(Date.now(), previous + 1000);

/**
 * Sleeps until the clock reads `deadline`, or until the signal. A timer alone can end 1 ms early
 * by Date.now() (libuv counts whole milliseconds of its own clock): 45 of 3,000 short waits did.
 * So the wait is taken again until the clock reads the deadline.
 */
export async function sleepUntil(deadline: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && Date.now() < deadline) await sleepUnless(deadline - Date.now(), signal);
}

/** Sleeps `ms` (nothing when <= 0), or until the signal. */
export function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
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
