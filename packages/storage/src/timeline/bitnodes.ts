import { queryRows } from '../queries.ts';
import type { Store } from '../store.ts';
import {
  bucketCount,
  bucketWhere,
  type NodeReliability,
  type ReliabilityOptions,
  reliabilityQuery,
  toNodeReliability,
} from './reliability.ts';
import type { RoundSpan } from './rounds.ts';
import { num, roundLiteral } from './sql-values.ts';

/** A node reachable in the round, with what node_geo and node_location know of its address. */
export interface SnapshotNode extends NodeReliability {
  /** 0 / '' when there is no data. */
  asn: number;
  asOrg: string;
  country: string;
  city: string;
  timezone: string;
  /** undefined when node_location has no coordinates for the address. */
  latitude?: number;
  longitude?: number;
}

/** Reachable endpoints of the round (sizes the pages). */
export async function countReachable(store: Store, round: RoundSpan): Promise<number> {
  const [r] = await queryRows(
    store,
    `SELECT uniq(network, host, port) AS n FROM observations WHERE crawl_id = ${roundLiteral(round.crawlId)} AND outcome = 'ok'`,
  );
  return num(r?.n);
}

/** The newest node_geo / node_location answer per address (ANY LEFT JOIN, as 18.16 and chdb both run it). */
const GEO = `SELECT network, host, argMax(asn, updated) AS asn, argMax(as_org, updated) AS as_org,
    argMax(country, updated) AS geo_country FROM node_geo GROUP BY network, host`;
const LOCATION = `SELECT network, host, argMax(city, updated) AS city, argMax(country, updated) AS loc_country,
    argMax(latitude, updated) AS latitude, argMax(longitude, updated) AS longitude,
    argMax(has_location, updated) AS has_location, argMax(timezone, updated) AS timezone
  FROM node_location GROUP BY network, host`;

/**
 * The round's reachable nodes with their reliability record and geography, a page (hash
 * bucket of hosts) at a time: what a Bitnodes snapshot holds.
 */
export async function* streamSnapshotNodes(
  store: Store,
  o: ReliabilityOptions & { pageSize?: number },
): AsyncGenerator<SnapshotNode[]> {
  const round = roundLiteral(o.round.crawlId);
  const n = bucketCount(await countReachable(store, o.round), o.pageSize);
  for (let i = 0; i < n; i++) {
    const inRound = `(network, host, port) IN (SELECT network, host, port FROM observations WHERE crawl_id = ${round} AND outcome = 'ok')`;
    const bucket = bucketWhere(i, n);
    const rel = reliabilityQuery(o, bucket ? `${bucket} AND ${inRound}` : inRound);
    const rows = await queryRows(
      store,
      `SELECT * FROM (SELECT * FROM (${rel}) AS r ANY LEFT JOIN (${GEO}) AS g USING (network, host)) AS rg
       ANY LEFT JOIN (${LOCATION}) AS l USING (network, host) ORDER BY network, host, port`,
    );
    yield rows.map((r) => ({
      ...toNodeReliability(r),
      asn: num(r.asn),
      asOrg: String(r.as_org ?? ''),
      country: String(r.loc_country || r.geo_country || ''),
      city: String(r.city ?? ''),
      timezone: String(r.timezone ?? ''),
      ...(num(r.has_location) === 1 ? { latitude: num(r.latitude), longitude: num(r.longitude) } : {}),
    }));
  }
}

/**
 * The round's reachable endpoints and their median start height (a snapshot's latest_height:
 * a peer can claim any height, the median resists a few liars).
 */
export async function roundReachableHeight(
  store: Store,
  round: RoundSpan,
): Promise<{ reachable: number; medianHeight: number }> {
  const [r] = await queryRows(
    store,
    `SELECT uniqExact(network, host, port) AS n, quantileExact(0.5)(start_height) AS h FROM observations
     WHERE crawl_id = ${roundLiteral(round.crawlId)} AND outcome = 'ok'`,
  );
  return { reachable: num(r?.n), medianHeight: num(r?.h) };
}
