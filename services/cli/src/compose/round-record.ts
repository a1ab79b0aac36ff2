import type { Endpoint } from '@bitcrawl/protocol';
import { type SeedDeps, type SeederConfig, seedKnown, seedRound } from '@bitcrawl/seeder';
import { knownEndpoints, roundFigures, type Store, writeRoundRows } from '@bitcrawl/storage';
import { seedLines, unroutedLines } from './crawl-messages.ts';

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
  seeds: StartedRound['sources'];
  /** Where the round is stored: the embedded store's directory or the server's URL. */
  store: string;
  /** Addresses left unvisited because their jobs failed for good (0 in a healthy round). */
  failedVisits: number;
  /** Stopped by a signal before the round was done: the figures are of a partial round. */
  interrupted: boolean;
  /** The crawl's event-loop delay, 99th percentile over the round (ms): timers and reads wait this long. */
  loopLagP99Ms: number;
}

/**
 * A round's figures from the store (its visits stored), its `rounds` rows written, as the
 * summary `crawl` prints.
 */
export async function finishRound(
  store: Store,
  progress: (line: string) => void,
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
    progress(line);
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
