import type { Endpoint } from '@bitcrawl/protocol';
import { type SeedDeps, type SeederConfig, seedKnown, seedRound } from '@bitcrawl/seeder';
import { knownEndpoints, type Store } from '@bitcrawl/storage';
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
