import type { Network } from '@bitcrawl/model';
import { queryRows } from '../queries.ts';
import type { Store } from '../store.ts';

export interface VisitedAddress {
  network: Network;
  host: string;
  /** The address's newest visit, in seconds. */
  ts: number;
}

/**
 * One page of the visited IPv4/IPv6 addresses in (network, host) order, starting after `after`
 * (keyset paging: a page neither re-reads nor skips what the pages before it wrote). With
 * `missingGeoOnly`, only addresses with no GeoIP answer yet: no node_geo row, or a newest row
 * that is a no-data row (asn 0). SQL that ClickHouse 18.16 and chdb accept.
 */
export async function visitedAddressesPage(
  store: Store,
  o: { after?: { network: string; host: string }; missingGeoOnly: boolean; limit: number },
): Promise<VisitedAddress[]> {
  const from = o.after
    ? 'AND (network > {net:String} OR (network = {net:String} AND host > {host:String}))'
    : '';
  const missingOnly = o.missingGeoOnly
    ? `AND (network, host) NOT IN (SELECT network, host FROM node_geo WHERE network IN ('ipv4', 'ipv6') ${from}
         GROUP BY network, host HAVING argMax(asn, updated) != 0)`
    : '';
  const rows = await queryRows<{ network: Network; host: string; ts: string | number }>(
    store,
    `SELECT network, host, toUInt64(max(ts)) AS ts FROM observations
     WHERE network IN ('ipv4', 'ipv6') ${from} ${missingOnly}
     GROUP BY network, host ORDER BY network, host LIMIT {limit:UInt32}`,
    { limit: o.limit, ...(o.after ? { net: o.after.network, host: o.after.host } : {}) },
  );
  return rows.map((r) => ({ network: r.network, host: r.host, ts: Number(r.ts) }));
}
