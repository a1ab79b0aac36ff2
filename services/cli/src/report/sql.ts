import { CRAWL_ID_PATTERN } from '@bitcrawl/queue';
import { queryRows, type Store } from '@bitcrawl/storage';

/**
 * The report's queries. ClickHouse 18.16 has no query parameters, so the only values put
 * into SQL are round ids that match CRAWL_ID_PATTERN (checked right before interpolation, including
 * ids read back from the database) and integers; everything else is constant SQL. Joins are
 * `ANY LEFT JOIN ... USING` with aliased subqueries: the form 18.16 and current ClickHouse share.
 */
export class ReportError extends Error {
  readonly code = 'REPORT';
}

const quote = (id: string) => {
  if (!CRAWL_ID_PATTERN.test(id))
    throw new ReportError(`refusing round id ${JSON.stringify(id)} (expected ${CRAWL_ID_PATTERN})`);
  return `'${id}'`;
};
const inList = (ids: readonly string[]) => ids.map(quote).join(', ');
const num = (v: unknown) => Number(v ?? 0);

export async function reachableByRound(store: Store, ids: readonly string[]) {
  const rows = await queryRows(
    store,
    `SELECT crawl_id, network, visited, reachable FROM round_summary WHERE crawl_id IN (${inList(ids)})`,
  );
  const order = new Map(ids.map((id, i) => [id, i]));
  return rows
    .map((r) => ({
      round: String(r.crawl_id),
      network: String(r.network),
      visited: num(r.visited),
      reachable: num(r.reachable),
    }))
    .sort(
      (a, b) => (order.get(a.round) ?? 0) - (order.get(b.round) ?? 0) || a.network.localeCompare(b.network),
    );
}

export async function outcomesByRound(store: Store, ids: readonly string[]) {
  return (
    await queryRows(
      store,
      `SELECT crawl_id, outcome, count() AS visits FROM observations FINAL WHERE crawl_id IN (${inList(ids)}) GROUP BY crawl_id, outcome`,
    )
  ).map((r) => ({ round: String(r.crawl_id), outcome: String(r.outcome), visits: num(r.visits) }));
}

/**
 * An error text with any IPv4 or IPv6 address (and port) in it replaced by <addr>: Node's socket
 * errors name the target ("connect ECONNREFUSED 192.0.2.1:8333"), which would otherwise give
 * every refusing address its own row and bury the most common failure. Bracket classes, not
 * backslashes, so the pattern reads the same through the SQL literal on 18.16 and current engines.
 */
const ERROR_CLASS =
  "replaceRegexpAll(error, '[[]?[0-9A-Fa-f]*:[0-9A-Fa-f]*:[0-9A-Fa-f:.]*[]]?(:[0-9]+)?|[0-9]{1,3}([.][0-9]{1,3}){3}(:[0-9]+)?', '<addr>')";

export async function topErrors(store: Store, ids: readonly string[]) {
  return (
    await queryRows(
      store,
      `SELECT outcome, ${ERROR_CLASS} AS error_class, count() AS visits FROM observations FINAL WHERE crawl_id IN (${inList(ids)}) AND error != '' GROUP BY outcome, error_class ORDER BY visits DESC, error_class LIMIT 15`,
    )
  ).map((r) => ({ outcome: String(r.outcome), error: String(r.error_class), visits: num(r.visits) }));
}

export async function userAgents(store: Store, id: string) {
  return (
    await queryRows(
      store,
      `SELECT user_agent, count() AS nodes FROM observations FINAL WHERE crawl_id = ${quote(id)} AND outcome = 'ok' GROUP BY user_agent ORDER BY nodes DESC, user_agent LIMIT 15`,
    )
  ).map((r) => ({ user_agent: String(r.user_agent), nodes: num(r.nodes) }));
}

export async function hasGeo(store: Store): Promise<boolean> {
  return num((await queryRows(store, 'SELECT count() AS n FROM node_geo'))[0]?.n) > 0;
}

/** Reachable IPv4/IPv6 nodes of one round with their newest node_geo row (asn 0 = no data). */
const reachableGeo = (id: string) => `(
    SELECT network, host FROM observations FINAL
    WHERE crawl_id = ${quote(id)} AND outcome = 'ok' AND network IN ('ipv4', 'ipv6')
  ) AS o
  ANY LEFT JOIN (
    SELECT network, host, argMax(asn, updated) AS asn, argMax(as_org, updated) AS as_org,
           argMax(country, updated) AS country, argMax(cloud, updated) AS cloud
    FROM node_geo GROUP BY network, host
  ) AS g USING (network, host)`;

export async function geoBreakdown(store: Store, id: string) {
  const from = reachableGeo(id);
  const countries = await queryRows(
    store,
    `SELECT country, count() AS nodes FROM ${from} GROUP BY country ORDER BY nodes DESC, country LIMIT 15`,
  );
  const ases = await queryRows(
    store,
    `SELECT asn, any(as_org) AS org, count() AS nodes FROM ${from} GROUP BY asn ORDER BY nodes DESC, asn LIMIT 15`,
  );
  const clouds = await queryRows(
    store,
    `SELECT cloud, asn = 0 AS no_data, count() AS nodes FROM ${from} GROUP BY cloud, no_data ORDER BY nodes DESC, cloud`,
  );
  return {
    countries: countries.map((r) => ({ country: String(r.country), nodes: num(r.nodes) })),
    ases: ases.map((r) => ({ asn: num(r.asn), org: String(r.org), nodes: num(r.nodes) })),
    clouds: clouds.map((r) => ({
      cloud: String(r.cloud),
      noData: num(r.no_data) === 1,
      nodes: num(r.nodes),
    })),
  };
}

/**
 * BIP324 adoption per round, among reachable nodes: how many advertise NODE_P2P_V2 (1 << 11)
 * in their version, how many we really spoke v2 with, and how many advertised it but hung up
 * on our v2 key (the v1 fallback). Rows from before migration 0010 read as v1.
 */
export async function transportByRound(store: Store, ids: readonly string[]) {
  const rows = await queryRows(
    store,
    `SELECT crawl_id, count() AS reachable, sum(bitAnd(services, 2048) != 0) AS advertised,
            sum(transport = 'v2') AS v2, sum(v2_fallback) AS fallback
     FROM observations FINAL WHERE crawl_id IN (${inList(ids)}) AND outcome = 'ok' GROUP BY crawl_id`,
  );
  const order = new Map(ids.map((id, i) => [id, i]));
  return rows
    .map((r) => ({
      round: String(r.crawl_id),
      reachable: num(r.reachable),
      advertised: num(r.advertised),
      v2: num(r.v2),
      fallback: num(r.fallback),
    }))
    .sort((a, b) => (order.get(a.round) ?? 0) - (order.get(b.round) ?? 0));
}
