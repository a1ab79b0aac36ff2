import { queryRows } from './queries.ts';
import type { Store } from './store.ts';

/**
 * Addresses of a round that were never dialed because this host has no way to reach their
 * network: no SOCKS proxy for onion/I2P (or CJDNS), no CJDNS route. The crawler records them as
 * `not_dialable` with that reason; a summary counts them apart from the visits, one line per
 * network, instead of presenting them as visits that failed.
 */
export interface UnroutedRow {
  network: string;
  addresses: number;
}

export async function unroutedByNetwork(store: Store, crawlId: string): Promise<UnroutedRow[]> {
  // LIKE, not startsWith: ClickHouse 18.16 has no startsWith.
  const rows = await queryRows<{ network: string; n: string | number }>(
    store,
    `SELECT toString(network) AS network, count() AS n FROM observations FINAL
     WHERE crawl_id = {round:String} AND outcome = 'not_dialable'
       AND (error LIKE 'no proxy configured for %' OR error LIKE 'no CJDNS route %')
     GROUP BY network ORDER BY network`,
    { round: crawlId },
  );
  return rows.map((r) => ({ network: r.network, addresses: Number(r.n) }));
}
