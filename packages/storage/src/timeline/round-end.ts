import { roundSummary } from '../queries.ts';
import type { Store } from '../store.ts';
import { unroutedByNetwork } from '../unrouted.ts';
import { insertRounds, type RoundRow } from './rounds.ts';

/** A round's figures per network as the store holds them once its visits are stored. */
export interface RoundFigures {
  network: string;
  /** Addresses dialed (those this host had no route to are in `notDialed`, not here). */
  visited: number;
  reachable: number;
  /** Addresses never dialed for want of a proxy or route (onion, I2P, CJDNS). */
  notDialed: number;
}

export async function roundFigures(store: Store, crawlId: string): Promise<RoundFigures[]> {
  const rows = await roundSummary(store, crawlId);
  const unrouted = await unroutedByNetwork(store, crawlId);
  return rows.map((r) => {
    const notDialed = unrouted.find((u) => u.network === r.network)?.addresses ?? 0;
    return {
      network: r.network,
      visited: Number(r.visited) - notDialed,
      reachable: Number(r.reachable),
      notDialed,
    };
  });
}

/** What the one who saw a round end knows of it beyond the store's figures. */
export interface RoundEnd {
  crawlId: string;
  /** ms since the epoch. */
  started: number;
  finished: number;
  seedsByNetwork: Record<string, number>;
  /** Addresses left unvisited because their jobs failed for good, per network. */
  failedByNetwork: Record<string, number>;
  interrupted: boolean;
}

/**
 * A round's `rounds` rows, written when it ends: one per network it visited or was seeded in.
 * `figures` are read from the store unless given (the crawl has them already).
 */
export async function writeRoundRows(
  store: Store,
  r: RoundEnd,
  figures?: readonly RoundFigures[],
): Promise<RoundRow[]> {
  const f = figures ?? (await roundFigures(store, r.crawlId));
  const networks = new Set([
    ...f.map((s) => s.network),
    ...Object.keys(r.seedsByNetwork),
    ...Object.keys(r.failedByNetwork),
  ]);
  const rows = [...networks].sort().map((network) => {
    const s = f.find((x) => x.network === network);
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
  });
  await insertRounds(store, rows);
  return rows;
}
