import { queryRows } from '../queries.ts';
import type { Store } from '../store.ts';
import { insertJsonRows } from '../writer.ts';
import { intLiteral, num, roundLiteral } from './sql-values.ts';

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
  return insertJsonRows(store, 'node_location', rows);
}

/**
 * The round's reachable IPv4/IPv6 nodes by country and by city, from node_location (the MMDB
 * answers; the newest per address). Empty when node_location has no rows.
 */
export async function locationBreakdown(
  store: Store,
  crawlId: string,
  top = 15,
): Promise<{
  countries: { country: string; nodes: number }[];
  cities: { city: string; country: string; nodes: number }[];
}> {
  const [has] = await queryRows(store, 'SELECT count() AS n FROM (SELECT 1 FROM node_location LIMIT 1)');
  if (num(has?.n) === 0) return { countries: [], cities: [] };
  const base = `(SELECT DISTINCT network, host, port FROM observations WHERE crawl_id = ${roundLiteral(crawlId)}
      AND outcome = 'ok' AND network IN ('ipv4', 'ipv6')) AS o
    ANY LEFT JOIN (SELECT network, host, argMax(city, updated) AS city, argMax(country, updated) AS country
      FROM node_location GROUP BY network, host) AS l USING (network, host)`;
  const countries = await queryRows(
    store,
    `SELECT country, count() AS n FROM ${base} GROUP BY country ORDER BY n DESC, country LIMIT ${intLiteral(top)}`,
  );
  const cities = await queryRows(
    store,
    `SELECT city, country, count() AS n FROM ${base} GROUP BY city, country ORDER BY n DESC, country, city LIMIT ${intLiteral(top)}`,
  );
  return {
    countries: countries.map((r) => ({ country: String(r.country), nodes: num(r.n) })),
    cities: cities.map((r) => ({ city: String(r.city), country: String(r.country), nodes: num(r.n) })),
  };
}
