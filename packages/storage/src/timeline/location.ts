import type { Store } from '../store.ts';

/** One node_location row: what a city-level (MMDB) database says about an IP address. */
export interface NodeLocationRow {
  network: string;
  host: string;
  city: string;
  region: string;
  country: string;
  latitude: number;
  longitude: number;
  /** 0 when the database gave no coordinates (latitude/longitude are then 0, not a place). */
  has_location: 0 | 1;
  timezone: string;
  /** 'YYYY-MM-DD hh:mm:ss' UTC: the newest row per address wins. */
  updated: string;
}

export async function insertNodeLocation(store: Store, rows: readonly NodeLocationRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  await store.client.insert({
    table: 'node_location',
    values: rows as NodeLocationRow[],
    format: 'JSONEachRow',
    clickhouse_settings: store.settings,
  });
  return rows.length;
}
