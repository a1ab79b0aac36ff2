import type { Observation } from '@bitcrawl/model';
import { packedCount } from '@bitcrawl/protocol';
import { GOSSIP_COLUMNS, gossipRowBinary } from './gossip-rows.ts';
import { formatDateTime } from './migrate.ts';
import type { Store } from './store.ts';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g'); // for replace only: a /g regex keeps state in test()

/**
 * `s` with any lone surrogate (half of a UTF-16 pair, which no UTF-8 text can hold) replaced
 * by U+FFFD: ClickHouse refuses a row that holds one, and the rest of the text is worth keeping.
 */
export function wellFormed(s: string): string {
  return LONE_SURROGATE.test(s) ? s.replace(LONE_SURROGATES, '\uFFFD') : s;
}

/** The observations table's rows; 64-bit values go as decimal strings, which both engines accept. */
export function observationRows(batch: readonly Observation[]) {
  return batch.map((o) => ({
    ts: formatDateTime(o.ts),
    ts_ms: o.ts,
    crawl_id: wellFormed(o.crawlId),
    network: o.network,
    host: wellFormed(o.host),
    port: o.port,
    outcome: o.outcome,
    error: wellFormed(o.error),
    protocol_version: o.peer?.protocolVersion ?? 0,
    services: (o.peer?.services ?? 0n).toString(),
    user_agent: wellFormed(o.peer?.userAgent ?? ''),
    start_height: o.peer?.startHeight ?? 0,
    relay: o.peer?.relay ? 1 : 0,
    clock_offset_s: o.peer?.clockOffsetS ?? 0,
    connect_ms: o.connectMs,
    handshake_ms: o.handshakeMs,
    addrs_received: packedCount(o.addrs),
    transport: o.transport ?? 'v1',
    v2_fallback: o.v2Fallback ? 1 : 0,
    v2_session_id: o.v2SessionId ?? '',
  }));
}

/**
 * Inserts one batch: its answers into `gossip` (one row of arrays per answer, RowBinary), then the
 * observations. Gossip first: if the process dies in between, the batch is re-delivered and
 * ReplacingMergeTree collapses the repeated rows.
 */
export async function insertObservations(
  store: Store,
  batch: readonly Observation[],
): Promise<{ observations: number; gossip: number }> {
  if (batch.length === 0) return { observations: 0, gossip: 0 };
  const { bytes, entries } = gossipRowBinary(batch);
  await store.insertRowBinary('gossip', GOSSIP_COLUMNS, bytes);
  await insertJsonRows(store, 'observations', observationRows(batch));
  return { observations: batch.length, gossip: entries };
}

/** One node_geo row: what the GeoIP/ASN database says about an IP address. */
export interface NodeGeoRow {
  network: string;
  host: string;
  asn: number;
  as_org: string;
  country: string;
  /** Provider name, '' when the AS is not a known cloud/hosting provider. */
  cloud: string;
  /** 'YYYY-MM-DD hh:mm:ss' UTC (formatDateTime): the newest row per address wins. */
  updated: string;
}

/** Inserts enrichment rows; re-inserting the same rows is harmless (ReplacingMergeTree on the address). */
export async function insertNodeGeo(store: Store, rows: readonly NodeGeoRow[]): Promise<number> {
  return insertJsonRows(store, 'node_geo', rows);
}

/** Inserts rows as JSONEachRow with the store's settings; the number inserted. */
export async function insertJsonRows(store: Store, table: string, rows: readonly object[]): Promise<number> {
  if (rows.length === 0) return 0;
  await store.client.insert({
    table,
    values: rows as object[],
    format: 'JSONEachRow',
    clickhouse_settings: store.settings,
  });
  return rows.length;
}
