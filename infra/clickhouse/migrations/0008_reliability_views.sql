-- Per-endpoint reliability (2 h ... 30 d, the DNS seeders' good flag) and uptime sessions, as of
-- the newest visit in the store, from observations: nothing is kept per visit beyond it. Generated
-- by packages/storage/src/timeline (reliabilitySql, sessionsSql; a test keeps them equal); for
-- another round's view use bitcrawl export csv --round ID, or the storage functions.
CREATE VIEW IF NOT EXISTS node_reliability AS
SELECT
    network, host, port, first_seen, last_seen, last_success, visits, successes,
    if(n_2h > 0, s_2h / n_2h, 0) AS r_2h, if(n_8h > 0, s_8h / n_8h, 0) AS r_8h, if(n_1d > 0, s_1d / n_1d, 0) AS r_1d, if(n_7d > 0, s_7d / n_7d, 0) AS r_7d, if(n_30d > 0, s_30d / n_30d, 0) AS r_30d,
    n_2h, n_8h, n_1d, n_7d, n_30d,
    toUInt8((port = (SELECT topK(1)(port)[1] FROM observations WHERE crawl_id = (SELECT argMax(crawl_id, ts_ms) FROM observations) AND outcome = 'ok' AND network IN ('ipv4', 'ipv6')) OR (network = 'i2p' AND port = 0))
      AND bitAnd(services, 1025) != 0
      AND protocol_version >= 70001
      AND abs(start_height - (SELECT quantileExact(0.5)(start_height) FROM observations WHERE crawl_id = (SELECT argMax(crawl_id, ts_ms) FROM observations) AND outcome = 'ok')) <= 288
      AND ((r_2h > 0.85 AND n_2h > 2) OR (r_8h > 0.7 AND n_8h > 4) OR (r_1d > 0.55 AND n_1d > 8) OR (r_7d > 0.45 AND n_7d > 16) OR (r_30d > 0.35 AND n_30d > 32))) AS good,
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
      sum(w_2h) AS n_2h, sumIf(w_2h, ok) AS s_2h,
      sum(w_8h) AS n_8h, sumIf(w_8h, ok) AS s_8h,
      sum(w_1d) AS n_1d, sumIf(w_1d, ok) AS s_1d,
      sum(w_7d) AS n_7d, sumIf(w_7d, ok) AS s_7d,
      sum(w_30d) AS n_30d, sumIf(w_30d, ok) AS s_30d,
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
        exp((toInt64(ts_ms) - toInt64((SELECT max(ts_ms) FROM observations))) / 7200000) AS w_2h, exp((toInt64(ts_ms) - toInt64((SELECT max(ts_ms) FROM observations))) / 28800000) AS w_8h, exp((toInt64(ts_ms) - toInt64((SELECT max(ts_ms) FROM observations))) / 86400000) AS w_1d, exp((toInt64(ts_ms) - toInt64((SELECT max(ts_ms) FROM observations))) / 604800000) AS w_7d, exp((toInt64(ts_ms) - toInt64((SELECT max(ts_ms) FROM observations))) / 2592000000) AS w_30d
      FROM observations FINAL
      WHERE ts_ms <= toInt64((SELECT max(ts_ms) FROM observations)) AND outcome != 'not_dialable'
    )
    GROUP BY network, host, port
  );

CREATE VIEW IF NOT EXISTS uptime_sessions AS
SELECT
    network, host, port, k AS session,
    intDiv(t[starts[k]], 1000) AS start,
    intDiv(t[last_i], 1000) AS last_up,
    if(end_i > 0, intDiv(t[end_i], 1000), 0) AS end,
    toUInt8(end_i = 0) AS open,
    last_i + 1 - starts[k] AS visits
  FROM
  (
    SELECT network, host, port, t, starts, k,
      if(k <= length(ends), ends[k], 0) AS end_i,
      if(end_i > 0, end_i, length(t) + 1) - 1 AS last_i
    FROM
    (
      SELECT network, host, port, t,
        arrayFilter(i -> oks[i] = 1 AND (i = 1 OR oks[i - 1] = 0), arrayEnumerate(oks)) AS starts,
        arrayFilter(i -> oks[i] = 0 AND i > 1 AND oks[i - 1] = 1, arrayEnumerate(oks)) AS ends
      FROM
      (
        SELECT network, host, port,
          arraySort(groupArray(ts_ms)) AS t,
          arraySort((o, x) -> x, groupArray(ok), groupArray(ts_ms)) AS oks
        FROM
        (
          SELECT network, host, port, ts_ms, toUInt8(outcome = 'ok') AS ok
          FROM observations FINAL
          WHERE ts_ms <= toInt64((SELECT max(ts_ms) FROM observations)) AND outcome != 'not_dialable'
        )
        GROUP BY network, host, port
        HAVING countIf(ok = 1) > 0
      )
    )
    ARRAY JOIN arrayEnumerate(starts) AS k
  );
