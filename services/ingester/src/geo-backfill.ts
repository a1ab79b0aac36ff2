import type { Network } from '@bitcrawl/model';
import { insertNodeGeo, queryRows, type Store } from '@bitcrawl/storage';
import { type GeoEnricher, geoRows } from './geo.ts';

export interface GeoBackfillResult {
  /** Distinct visited IPv4/IPv6 addresses looked up. */
  addresses: number;
  /** node_geo rows written (addresses the database knows). */
  written: number;
}

export interface GeoBackfillOptions {
  /** Also re-write addresses that already have a node_geo row (after a newer database). */
  all?: boolean;
  /** Addresses per query and insert; bounds memory on a table of millions of visits. */
  pageSize?: number;
  /** Called after each page, for progress output. */
  onPage?: (done: GeoBackfillResult) => void;
}

/**
 * Writes node_geo rows for visited addresses the ingester did not enrich: those visited
 * before GEOIP_ASN_DB was set, or (with `all`) every address, so a newer database replaces the
 * older answers. Each row's `updated` is the address's newest visit, as the ingester writes it,
 * so running it twice writes the same rows. SQL that ClickHouse 18.16 and chdb both accept.
 */
export async function backfillGeo(
  store: Store,
  geo: GeoEnricher,
  opts: GeoBackfillOptions = {},
): Promise<GeoBackfillResult> {
  const pageSize = opts.pageSize ?? 50_000;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new RangeError(`pageSize must be a positive integer`);
  const missingOnly = opts.all ? '' : 'AND (network, host) NOT IN (SELECT network, host FROM node_geo)';
  const done: GeoBackfillResult = { addresses: 0, written: 0 };
  // A stable order over a GROUP BY, paged with LIMIT/OFFSET. Without `all`, the rows a page
  // writes leave the result set, so the next page starts after the addresses left without data.
  let offset = 0;
  for (;;) {
    const page = await queryRows<{ network: Network; host: string; ts: string | number }>(
      store,
      `SELECT network, host, toUInt64(max(ts)) AS ts FROM observations
       WHERE network IN ('ipv4', 'ipv6') ${missingOnly}
       GROUP BY network, host ORDER BY network, host LIMIT ${pageSize} OFFSET ${offset}`,
    );
    if (page.length === 0) break;
    const rows = geoRows(
      page.map((r) => ({ network: r.network, host: r.host, ts: Number(r.ts) * 1000 })),
      geo,
    );
    const written = await insertNodeGeo(store, rows);
    done.addresses += page.length;
    done.written += written;
    offset += opts.all ? page.length : page.length - written;
    opts.onPage?.({ ...done });
    if (page.length < pageSize) break;
  }
  return done;
}
