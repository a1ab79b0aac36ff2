import { insertNodeGeo, type Store, visitedAddressesPage } from '@bitcrawl/storage';
import { type GeoEnricher, geoRows } from './geo.ts';

export interface GeoBackfillResult {
  /** Distinct visited IPv4/IPv6 addresses looked up. */
  addresses: number;
  /** node_geo rows written: addresses the database knows, and with `all` also no-data rows. */
  written: number;
  /** Addresses the database has no data for. */
  withoutData: number;
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
 * Writes node_geo rows for visited addresses without an answer: visited before GEOIP_ASN_DB
 * was set, or unknown to the database then (a no-data row); or (with `all`) every address, so
 * a newer database replaces the older answers, "no data" included (a no-data row, asn 0).
 * Without `all`, an address the database does not know gets no row, so a later run (with a
 * newer database) tries it again.
 * A missing row gets `updated` = the address's newest visit, as the ingester writes it; with
 * `all`, now, so the new answer wins. SQL that ClickHouse 18.16 and chdb accept.
 */
export async function backfillGeo(
  store: Store,
  geo: GeoEnricher,
  opts: GeoBackfillOptions = {},
): Promise<GeoBackfillResult> {
  const pageSize = opts.pageSize ?? 50_000;
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new RangeError('pageSize must be a positive integer');
  // With `all`, rows must beat what the ingester wrote from the older database for the same
  // newest visit: argMax(..., updated) on a tie keeps either one. Now is later than any visit.
  const nowMs = Date.now();
  const done: GeoBackfillResult = { addresses: 0, written: 0, withoutData: 0 };
  let after: { network: string; host: string } | undefined;
  for (;;) {
    const page = await visitedAddressesPage(store, {
      ...(after ? { after } : {}),
      missingGeoOnly: !opts.all,
      limit: pageSize,
    });
    if (page.length === 0) break;
    const rows = geoRows(
      page.map((r) => ({
        network: r.network,
        host: r.host,
        ts: opts.all ? Math.max(nowMs, r.ts * 1000) : r.ts * 1000,
      })),
      geo,
      { noData: opts.all === true },
    );
    done.addresses += page.length;
    done.withoutData += page.length - rows.length + rows.filter((r) => r.asn === 0).length;
    done.written += await insertNodeGeo(store, rows);
    opts.onPage?.({ ...done });
    const last = page[page.length - 1] as { network: string; host: string };
    after = { network: last.network, host: last.host };
    if (page.length < pageSize) break;
  }
  return done;
}
