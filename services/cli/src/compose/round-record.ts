import type { Endpoint } from '@bitcrawl/protocol';
import type { CrawlJob } from '@bitcrawl/queue';
import { type SeedDeps, type SeederConfig, seedKnown, seedRound } from '@bitcrawl/seeder';
import { insertRounds, knownEndpoints, type Store } from '@bitcrawl/storage';
import type { Queue } from 'bullmq';
import { seedLines } from './crawl-messages.ts';

/** A round as it started: when, and how many seeds each network had (the `rounds` row's `seeds`). */
export interface StartedRound {
  crawlId: string;
  started: number;
  seedsByNetwork: Record<string, number>;
  sources: Awaited<ReturnType<typeof seedRound>>['sources'];
}

/**
 * Starts round `crawlId`: the seeds, then every address the store saw visited in the last
 * `revisitKnownMs` (admitted whether or not its revisit time has come: each round revisits
 * the whole known network), read in pages.
 */
export async function startRound(
  deps: SeedDeps,
  store: Store,
  config: SeederConfig,
  crawlId: string,
  progress: (line: string) => void,
): Promise<StartedRound> {
  const started = Date.now();
  const seeded = await seedRound(deps, config, crawlId);
  for (const line of seedLines(crawlId, seeded.enqueued, seeded.sources, config.chain)) progress(line);
  let known = 0;
  for await (const page of knownEndpoints(store, started - config.revisitKnownMs))
    known += await seedKnown(deps, crawlId, page as Endpoint[]);
  progress(
    `round ${crawlId}: ${known} known addresses enqueued (visited in the last ${days(config.revisitKnownMs)})`,
  );
  return { crawlId, started, seedsByNetwork: seeded.byNetwork, sources: seeded.sources };
}

const days = (ms: number) => (ms % 86_400_000 === 0 ? `${ms / 86_400_000} d` : `${Math.round(ms / 1000)} s`);

/**
 * When a round ends: its `rounds` rows (one per network it visited or was seeded in), from the
 * round's figures as the store holds them once its visits are stored.
 */
export async function recordRound(
  store: Store,
  r: {
    crawlId: string;
    started: number;
    finished: number;
    /** Per network: addresses dialed (not those this host had no route to) and reachable. */
    summary: readonly { network: string; visited: number; reachable: number }[];
    seedsByNetwork: Record<string, number>;
    /** Addresses left unvisited because their jobs failed for good, per network. */
    failedByNetwork: Record<string, number>;
    interrupted: boolean;
  },
): Promise<void> {
  const networks = new Set([
    ...r.summary.map((s) => s.network),
    ...Object.keys(r.seedsByNetwork),
    ...Object.keys(r.failedByNetwork),
  ]);
  await insertRounds(
    store,
    [...networks].sort().map((network) => {
      const s = r.summary.find((x) => x.network === network);
      return {
        crawlId: r.crawlId,
        network,
        started: r.started,
        finished: r.finished,
        seeds: r.seedsByNetwork[network] ?? 0,
        visited: s?.visited ?? 0,
        reachable: s?.reachable ?? 0,
        failedVisits: r.failedByNetwork[network] ?? 0,
        interrupted: r.interrupted,
      };
    }),
  );
}

/** The round's jobs that failed for good, counted by network (at most the newest 100,000). */
export async function failedByNetwork(
  crawlQueue: Queue<CrawlJob>,
  crawlId: string,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const job of await crawlQueue.getFailed(0, 99_999)) {
    if (job?.data.crawlId === crawlId) out[job.data.network] = (out[job.data.network] ?? 0) + 1;
  }
  return out;
}
