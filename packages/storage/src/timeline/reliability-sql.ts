/**
 * Per-endpoint reliability, as the DNS seeders keep it (sipa's bitcoin-seeder, CAddrStat),
 * computed from `observations` in one GROUP BY. Every visit up to the reference time `now`
 * weighs w = exp(-(now - t) / W); over each window W the reliability is the weighted share
 * of successful visits, sum(w * ok) / sum(w), and the weighted visit count sum(w) is what the
 * `good` rule asks "enough visits" of. Plain SQL both ClickHouse 18.16 and chdb run.
 */
export const RELIABILITY_WINDOWS = [
  // key, W in seconds, and the seeders' good rule: reliability above min over more than minVisits.
  { key: '2h', seconds: 2 * 3600, minReliability: 0.85, minVisits: 2 },
  { key: '8h', seconds: 8 * 3600, minReliability: 0.7, minVisits: 4 },
  { key: '1d', seconds: 86_400, minReliability: 0.55, minVisits: 8 },
  { key: '7d', seconds: 7 * 86_400, minReliability: 0.45, minVisits: 16 },
  { key: '30d', seconds: 30 * 86_400, minReliability: 0.35, minVisits: 32 },
] as const;
export type WindowKey = (typeof RELIABILITY_WINDOWS)[number]['key'];

/** Lowest protocol version a good node may have (bitcoin-seeder's REQUIRE_VERSION). */
export const GOOD_MIN_PROTOCOL = 70001;
/** A good node's start height is within this many blocks of the round's median (two days). */
export const GOOD_HEIGHT_TOLERANCE = 288;
/** NODE_NETWORK | NODE_NETWORK_LIMITED: a good node serves blocks. */
export const GOOD_SERVICES_MASK = 1 | 1024;

export interface ReliabilitySqlParts {
  /** SQL for the reference time, ms since the epoch (a literal or a scalar subquery). */
  nowMs: string;
  /** SQL for the round whose reachable nodes' median start height `good` compares against. */
  round: string;
  /** SQL for the network's default port (the other networks' ports do not make a node good). */
  defaultPort: string;
  /** Extra condition on the visits read (a hash bucket when paging). */
  where?: string;
}

/** The reliability SELECT: one row per endpoint visited up to `now` (never for not_dialable). */
export function reliabilitySql(p: ReliabilitySqlParts): string {
  const now = `toInt64(${p.nowMs})`;
  // Each visit's weight per window, computed once per visit (w_2h ...), then summed.
  const weights = RELIABILITY_WINDOWS.map(
    (w) => `exp((toInt64(ts_ms) - ${now}) / ${w.seconds * 1000}) AS w_${w.key}`,
  ).join(', ');
  const sums = RELIABILITY_WINDOWS.map(
    (w) => `sum(w_${w.key}) AS n_${w.key}, sumIf(w_${w.key}, ok) AS s_${w.key}`,
  ).join(',\n      ');
  const ratios = RELIABILITY_WINDOWS.map(
    (w) => `if(n_${w.key} > 0, s_${w.key} / n_${w.key}, 0) AS r_${w.key}`,
  );
  const enough = RELIABILITY_WINDOWS.map(
    (w) => `(r_${w.key} > ${w.minReliability} AND n_${w.key} > ${w.minVisits})`,
  ).join(' OR ');
  const median = `(SELECT quantileExact(0.5)(start_height) FROM observations WHERE crawl_id = ${p.round} AND outcome = 'ok')`;
  return `SELECT
    network, host, port, first_seen, last_seen, last_success, visits, successes,
    ${ratios.join(', ')},
    ${RELIABILITY_WINDOWS.map((w) => `n_${w.key}`).join(', ')},
    toUInt8((port = ${p.defaultPort} OR (network = 'i2p' AND port = 0))
      AND bitAnd(services, ${GOOD_SERVICES_MASK}) != 0
      AND protocol_version >= ${GOOD_MIN_PROTOCOL}
      AND abs(start_height - ${median}) <= ${GOOD_HEIGHT_TOLERANCE}
      AND (${enough})) AS good,
    protocol_version, services, user_agent, start_height, up_since
  FROM
  (
    SELECT
      network, host, port,
      intDiv(min(ts_ms), 1000) AS first_seen,
      intDiv(max(ts_ms), 1000) AS last_seen,
      intDiv(maxIf(ts_ms, ok), 1000) AS last_success,
      count() AS visits,
      countIf(ok) AS successes,
      ${sums},
      argMaxIf(protocol_version, ts_ms, ok) AS protocol_version,
      argMaxIf(services, ts_ms, ok) AS services,
      argMaxIf(user_agent, ts_ms, ok) AS user_agent,
      argMaxIf(start_height, ts_ms, ok) AS start_height,
      -- The start of the open up session (0 when the newest visit failed): first success after the last failure.
      intDiv(if(maxIf(ts_ms, ok) > maxIf(ts_ms, ok = 0),
        arrayReduce('min', arrayFilter(t -> t > maxIf(ts_ms, ok = 0), groupArrayIf(ts_ms, ok))), 0), 1000) AS up_since
    FROM
    (
      SELECT network, host, port, ts_ms, outcome = 'ok' AS ok, protocol_version, services, user_agent, start_height,
        ${weights}
      FROM observations FINAL
      WHERE ts_ms <= ${now} AND outcome != 'not_dialable'${p.where ? ` AND (${p.where})` : ''}
    )
    GROUP BY network, host, port
  )`;
}
