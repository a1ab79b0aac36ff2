import { ConfigError } from '@bitcrawl/model';
import { queryRows } from '../queries.ts';
import { byNetwork, inRoundOrder } from '../round-order.ts';
import type { Store } from '../store.ts';
import { num } from '../timeline/sql-values.ts';

/**
 * The report's reads. Values go in as placeholders (the binding layer writes them as literals
 * on 18.16). Joins are `ANY LEFT JOIN ... USING` with aliased subqueries: the form 18.16 and
 * current ClickHouse share.
 */
/** A round asked for by id that the store holds no observations of (or no round at all). */
export class NoSuchRoundError extends ConfigError {
  readonly code = 'NO_SUCH_ROUND';
}

export async function reachableByRound(store: Store, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const rows = await queryRows(
    store,
    'SELECT crawl_id, network, visited, reachable FROM round_summary WHERE crawl_id IN {ids:Array(String)}',
    { ids },
  );
  const out = rows.map((r) => ({
    round: String(r.crawl_id),
    network: String(r.network),
    visited: num(r.visited),
    reachable: num(r.reachable),
  }));
  return inRoundOrder(ids, out, (r) => r.round, byNetwork);
}

export async function outcomesByRound(store: Store, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return (
    await queryRows(
      store,
      'SELECT crawl_id, outcome, count() AS visits FROM observations FINAL WHERE crawl_id IN {ids:Array(String)} GROUP BY crawl_id, outcome',
      { ids },
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
  if (ids.length === 0) return [];
  return (
    await queryRows(
      store,
      `SELECT outcome, ${ERROR_CLASS} AS error_class, count() AS visits FROM observations FINAL WHERE crawl_id IN {ids:Array(String)} AND error != '' GROUP BY outcome, error_class ORDER BY visits DESC, error_class LIMIT 15`,
      { ids },
    )
  ).map((r) => ({ outcome: String(r.outcome), error: String(r.error_class), visits: num(r.visits) }));
}

export async function userAgents(store: Store, id: string) {
  return (
    await queryRows(
      store,
      "SELECT user_agent, count() AS nodes FROM observations FINAL WHERE crawl_id = {round:String} AND outcome = 'ok' GROUP BY user_agent ORDER BY nodes DESC, user_agent LIMIT 15",
      { round: id },
    )
  ).map((r) => ({ user_agent: String(r.user_agent), nodes: num(r.nodes) }));
}

export async function hasGeo(store: Store): Promise<boolean> {
  return num((await queryRows(store, 'SELECT count() AS n FROM node_geo'))[0]?.n) > 0;
}

/** Reachable IPv4/IPv6 nodes of one round with their newest node_geo row (asn 0 = no data). */
const reachableGeo = `(
    SELECT network, host FROM observations FINAL
    WHERE crawl_id = {round:String} AND outcome = 'ok' AND network IN ('ipv4', 'ipv6')
  ) AS o
  ANY LEFT JOIN (
    SELECT network, host, argMax(asn, updated) AS asn, argMax(as_org, updated) AS as_org,
           argMax(country, updated) AS country, argMax(cloud, updated) AS cloud
    FROM node_geo GROUP BY network, host
  ) AS g USING (network, host)`;

export async function geoBreakdown(store: Store, id: string) {
  const from = reachableGeo;
  const round = { round: id };
  const countries = await queryRows(
    store,
    `SELECT country, count() AS nodes FROM ${from} GROUP BY country ORDER BY nodes DESC, country LIMIT 15`,
    round,
  );
  const ases = await queryRows(
    store,
    `SELECT asn, any(as_org) AS org, count() AS nodes FROM ${from} GROUP BY asn ORDER BY nodes DESC, asn LIMIT 15`,
    round,
  );
  const clouds = await queryRows(
    store,
    `SELECT cloud, asn = 0 AS no_data, count() AS nodes FROM ${from} GROUP BY cloud, no_data ORDER BY nodes DESC, cloud`,
    round,
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
  if (ids.length === 0) return [];
  const rows = await queryRows(
    store,
    `SELECT crawl_id, count() AS reachable, sum(bitAnd(services, 2048) != 0) AS advertised,
            sum(transport = 'v2') AS v2, sum(v2_fallback) AS fallback
     FROM observations FINAL WHERE crawl_id IN {ids:Array(String)} AND outcome = 'ok' GROUP BY crawl_id`,
    { ids },
  );
  const out = rows.map((r) => ({
    round: String(r.crawl_id),
    reachable: num(r.reachable),
    advertised: num(r.advertised),
    v2: num(r.v2),
    fallback: num(r.fallback),
  }));
  return inRoundOrder(ids, out, (r) => r.round);
}
