import {
  clearCurrentRound,
  currentRound,
  failedJobsByNetwork,
  ingestBacklog,
  newCrawlId,
  pushRoundEnded,
  requeueLost,
  SeederLease,
  saveCurrentRound,
} from '@bitcrawl/queue';
import type { Redis } from 'ioredis';
import { type SeedDeps, type SeederConfig, seedKnown, seedRound } from './seeder.ts';

export interface RoundWatch {
  /** How often the round's progress is read. */
  pollMs: number;
  /** Unvisited addresses with nothing queued this long: their jobs were lost (or failed). */
  idleRequeueMs: number;
}
const DEFAULT_WATCH: RoundWatch = { pollMs: 1000, idleRequeueMs: 5000 };

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
 */
export async function runRounds(
  deps: SeedDeps & { redis: Redis },
  config: SeederConfig,
  signal: AbortSignal,
  watch: RoundWatch = DEFAULT_WATCH,
  lease: SeederLease = new SeederLease(deps.redis),
): Promise<void> {
  let previous = 0;
  try {
    while (!signal.aborted) {
      if (!lease.held()) {
        const standingBy = (holder: string) =>
          deps.logger.warn({ holder }, 'another seeder leads the rounds: standing by until it stops');
        if (!(await lease.acquire(signal, standingBy))) return;
        deps.logger.info({ seeder: lease.id }, 'leading the rounds');
      }
      let round = await currentRound(deps.redis);
      if (round)
        deps.logger.warn({ crawlId: round.crawlId }, 'resuming the round a previous seeder left running');
      else {
        // Round ids name the second they start: never the previous one's again.
        const started = Math.max(Date.now(), previous + 1000);
        round = { crawlId: newCrawlId(started), started, seedsByNetwork: {} };
        await saveCurrentRound(deps.redis, round);
        // Housekeeping first: revisit state older than the revisit horizon is forgotten.
        const pruned = await deps.frontier.prune();
        if (pruned > 0) deps.logger.info({ pruned }, 'pruned stale revisit state');
      }
      previous = round.started;
      const { crawlId, started } = round;
      if (Object.keys(round.seedsByNetwork).length === 0) {
        const seeded = await seedRound(deps, config, crawlId);
        let known = 0;
        for await (const page of deps.frontier.knownSince(started - config.revisitKnownMs))
          known += await seedKnown(deps, crawlId, page);
        round = { ...round, seedsByNetwork: seeded.byNetwork };
        await saveCurrentRound(deps.redis, round);
        deps.logger.info({ crawlId, seeds: seeded.enqueued, known }, 'round started');
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
      await pushRoundEnded(deps.redis, {
        crawlId,
        started,
        finished: Date.now(),
        seedsByNetwork: round.seedsByNetwork,
        failedByNetwork,
        interrupted: end.interrupted,
      });
      await clearCurrentRound(deps.redis);
      deps.logger.info({ crawlId, ...end, seconds: (Date.now() - started) / 1000 }, 'round ended');
      await sleepUnless(started + config.roundIntervalMs - Date.now(), signal);
    }
  } finally {
    await lease.release();
  }
}

/**
 * Waits for round `crawlId` to end: true figures need every visit stored, so the ingester's
 * backlog must be empty too. Lost jobs are given again; jobs that failed for good end the round
 * (counted in `failed`).
 */
export async function watchRound(
  deps: SeedDeps & { redis: Redis },
  crawlId: string,
  signal: AbortSignal,
  watch: RoundWatch = DEFAULT_WATCH,
  leading: () => boolean = () => true,
): Promise<{ visited: number; reachable: number; failed: number; interrupted: boolean; lostLead?: true }> {
  let idleSince = 0;
  for (;;) {
    await sleepUnless(watch.pollMs, signal);
    const p = await deps.frontier.progress(crawlId);
    if (!leading())
      return { visited: p.visited, reachable: p.ok, failed: 0, interrupted: false, lostLead: true };
    if (signal.aborted) return { visited: p.visited, reachable: p.ok, failed: 0, interrupted: true };
    const counts = await deps.crawlQueue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    const queued = Object.values(counts).reduce((a, b) => a + b, 0);
    const backlog = await ingestBacklog(deps.redis);
    if (queued === 0 && p.visited >= p.seen) {
      if (backlog === 0) return { visited: p.visited, reachable: p.ok, failed: 0, interrupted: false };
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
    if (added > 0) deps.logger.warn({ crawlId, added }, 're-enqueued addresses whose jobs were lost');
    if (added === 0 && withJob > 0 && backlog === 0) {
      deps.logger.warn({ crawlId, failed: withJob }, 'addresses left unvisited: their jobs failed');
      return { visited: p.visited, reachable: p.ok, failed: withJob, interrupted: false };
    }
  }
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
