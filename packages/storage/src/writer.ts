import { MAX_DATETIME_S, type Observation } from '@bitcrawl/model';
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

/** Rows for the two tables; 64-bit values go as decimal strings, which both engines accept. */
export function observationRows(batch: readonly Observation[]) {
  const observations = batch.map((o) => ({
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
    addrs_received: o.addrs.length,
    transport: o.transport ?? 'v1',
    v2_fallback: o.v2Fallback ? 1 : 0,
    v2_session_id: o.v2SessionId ?? '',
  }));
  const gossip = batch.flatMap((o, i) => {
    // The source's values, made once: an observation carries up to 10,000 addresses.
    const { ts, crawl_id, host: src_host } = observations[i] as (typeof observations)[number];
    return o.addrs.map((a) => ({
      ts,
      crawl_id,
      src_network: o.network,
      src_host,
      src_port: o.port,
      network: a.network,
      host: wellFormed(a.host),
      port: a.port,
      services: a.services.toString(),
      // A peer may claim any uint32 time (0xffffffff is common junk); later than the last
      // second every engine stores, it is stored as that second.
      advertised_ts: formatDateTime(Math.min(a.time, MAX_DATETIME_S) * 1000),
    }));
  });
  return { observations, gossip };
}

/**
 * Inserts one batch into both tables. Gossip first: if the process dies in between, the
 * batch is re-delivered and ReplacingMergeTree collapses the repeated rows.
 */
export async function insertObservations(
  store: Store,
  batch: readonly Observation[],
): Promise<{ observations: number; gossip: number }> {
  if (batch.length === 0) return { observations: 0, gossip: 0 };
  const { observations, gossip } = observationRows(batch);
  const settings = store.settings;
  for (let i = 0; i < gossip.length; i += 100_000) {
    await store.client.insert({
      table: 'addr_gossip',
      values: gossip.slice(i, i + 100_000),
      format: 'JSONEachRow',
      clickhouse_settings: settings,
    });
  }
  await store.client.insert({
    table: 'observations',
    values: observations,
    format: 'JSONEachRow',
    clickhouse_settings: settings,
  });
  return { observations: observations.length, gossip: gossip.length };
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
  if (rows.length === 0) return 0;
  await store.client.insert({
    table: 'node_geo',
    values: rows as NodeGeoRow[],
    format: 'JSONEachRow',
    clickhouse_settings: store.settings,
  });
  return rows.length;
}
