import { intLiteral, roundLiteral } from './sql-values.ts';

/**
 * Churn between consecutive rounds, per round and network. Each endpoint's reachable rounds
 * become ordinals (the rounds' order by first visit); for each round r it is `stayed` (reachable
 * in r and r-1), `new` (reachable in r, never before), `returned` (reachable in r, not in r-1,
 * in some earlier one) or `gone` (reachable in r-1, not in r). ordinals[i] is rounds[i]'s.
 */
export function churnSql(rounds: readonly string[], from: number): string {
  const ids = rounds.map(roundLiteral).join(', ');
  const ords = rounds.map((_, i) => intLiteral(i + 1)).join(', ');
  return `SELECT r, network, cls, count() AS n FROM
  (
    SELECT network, a, r,
      multiIf(has(a, r) AND has(a, r - 1), 'stayed', has(a, r) AND arrayReduce('min', a) = r, 'new',
              has(a, r), 'returned', 'gone') AS cls
    FROM
    (
      SELECT network, host, port, groupUniqArray(transform(crawl_id, [${ids}], [${ords}], 0)) AS a
      FROM observations
      WHERE outcome = 'ok' AND crawl_id IN (${ids})
      GROUP BY network, host, port
    )
    ARRAY JOIN arrayDistinct(arrayConcat(a, arrayMap(x -> x + 1, a))) AS r
    WHERE r >= ${intLiteral(from)} AND r <= ${intLiteral(rounds.length)}
  )
  GROUP BY r, network, cls`;
}

/**
 * Unreachable-node estimate per round and network: distinct IPv4/IPv6 addresses gossiped in
 * the round with an advertised time at most 24 h before the gossip (and at most 10 min after it,
 * Core's tolerance for clocks), and how many of them had a successful visit in that round.
 */
export function unreachableSql(crawlIds: readonly string[]): string {
  const ids = crawlIds.map(roundLiteral).join(', ');
  const recent = (t: string) => `${t} >= ts - 86400 AND ${t} <= ts + 600`;
  // Each round's distinct recent IP hosts first, then one IN check per host against an IN set
  // of the rounds' reachable addresses (no join). The packed gossip is read directly, only the
  // three arrays needed unfolded (the addr_gossip view unfolds all five and maps every network
  // id to its name): bench:timeline's 30 rounds took 10.6 s of CPU instead of 15.7 s.
  return `SELECT crawl_id, network, count() AS gossiped,
      countIf((crawl_id, network, host) IN
        (SELECT crawl_id, network, host FROM observations WHERE crawl_id IN (${ids}) AND outcome = 'ok')) AS reachable
    FROM
    (
      SELECT DISTINCT crawl_id, network, host FROM
      (
        SELECT crawl_id, CAST(network AS String) AS network, host FROM addr_gossip_v1 FINAL
        WHERE crawl_id IN (${ids}) AND network IN ('ipv4', 'ipv6') AND ${recent('advertised_ts')}
        UNION ALL
        SELECT crawl_id, if(e_net = 1, 'ipv4', 'ipv6') AS network, e_host AS host
        FROM gossip FINAL
        ARRAY JOIN a_net AS e_net, a_host AS e_host, a_time AS e_time
        WHERE crawl_id IN (${ids}) AND e_net IN (1, 2) AND ${recent('e_time')}
      )
    )
    GROUP BY crawl_id, network`;
}

/** The user agent's family: its first component's name and major version ("Satoshi 27"). */
export const UA_FAMILY_SQL = `replaceRegexpOne(user_agent, '^/([^:/]*)(?::(\\\\d+))?.*$', '\\\\1 \\\\2')`;

/** NODE_P2P_V2 (BIP324): 1 << 11. */
export const NODE_P2P_V2 = 2048;

/** Reachable nodes and those advertising NODE_P2P_V2, per round and user-agent family. */
export function v2AdoptionSql(crawlIds: readonly string[]): string {
  const ids = crawlIds.map(roundLiteral).join(', ');
  return `SELECT crawl_id, ${UA_FAMILY_SQL} AS family, count() AS reachable,
      countIf(bitAnd(services, ${NODE_P2P_V2}) != 0) AS v2
    FROM observations FINAL
    WHERE crawl_id IN (${ids}) AND outcome = 'ok'
    GROUP BY crawl_id, family`;
}
