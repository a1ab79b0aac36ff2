import type { RoundEnded } from '@bitcrawl/queue';
import type { SeederConfig, SeedSources } from '@bitcrawl/seeder';
import { roundFigures, type Store, writeRoundRows } from '@bitcrawl/storage';
import { seedLines, unroutedLines } from './crawl-messages.ts';

/** Where a round's seeds came from, before they are known (a resumed round's are not). */
export const NO_SOURCES: SeedSources = { given: 0, dns: 0, fixed: 0, dnsLookups: 0, dnsFailed: 0 };

/**
 * The lines a round's start prints: its seeds and where they came from, then the known addresses
 * it revisits (every address the store saw visited in the last `revisitKnownMs`, whether or not
 * its revisit time has come: each round revisits the whole known network).
 */
export function startedLines(
  r: { crawlId: string; enqueued: number; sources: SeedSources; known: number },
  config: SeederConfig,
): string[] {
  return [
    ...seedLines(r.crawlId, r.enqueued, r.sources, config.chain),
    `round ${r.crawlId}: ${r.known} known addresses enqueued (visited in the last ${days(config.revisitKnownMs)})`,
  ];
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

/**
 * A round's figures from the store (its visits stored), its `rounds` rows written, as the
 * summary `crawl` prints. The rows' `finished` is now: after the ingester stored the round.
 */
export async function finishRound(
  store: Store,
  progress: (line: string) => void,
  r: {
    ended: RoundEnded;
    sources: SeedSources;
    failedVisits: number;
    runStarted: number;
    loopLagP99Ms: number;
  },
): Promise<CrawlSummary> {
  const { crawlId, interrupted } = r.ended;
  const finished = Date.now();
  const byNetwork = await roundFigures(store, crawlId);
  // Addresses never dialed for want of a proxy or route are no visits: counted apart, one line each.
  for (const line of unroutedLines(byNetwork.map((x) => ({ network: x.network, addresses: x.notDialed }))))
    progress(line);
  await writeRoundRows(store, { ...r.ended, finished }, byNetwork);
  return {
    crawlId,
    visited: byNetwork.reduce((s, x) => s + x.visited, 0),
    reachable: byNetwork.reduce((s, x) => s + x.reachable, 0),
    seconds: (finished - r.runStarted) / 1000,
    byNetwork,
    notDialed: byNetwork.reduce((s, x) => s + x.notDialed, 0),
    seeds: r.sources,
    store: store.describe,
    failedVisits: r.failedVisits,
    interrupted,
    loopLagP99Ms: r.loopLagP99Ms,
  };
}
