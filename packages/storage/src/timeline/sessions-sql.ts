/**
 * Uptime sessions (as Nebula keeps them): per endpoint, each run of successful visits up to the
 * reference time is one session, closed by the first failed visit after it (open while none has
 * come). Computed with arrays per endpoint in O(visits): a session starts at a success whose
 * previous visit failed (or that is the first visit), ends at a failure whose previous visit
 * succeeded, and the two kinds of index alternate, so the k-th start pairs with the k-th end.
 * Plain SQL both ClickHouse 18.16 and chdb run.
 */
export interface SessionsSqlParts {
  /** SQL for the reference time, ms since the epoch. */
  nowMs: string;
  /** Extra condition on the visits read (a hash bucket when paging). */
  where?: string;
}

export function sessionsSql(p: SessionsSqlParts): string {
  return `SELECT
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
          WHERE ts_ms <= toInt64(${p.nowMs}) AND outcome != 'not_dialable'${p.where ? ` AND (${p.where})` : ''}
        )
        GROUP BY network, host, port
        HAVING countIf(ok = 1) > 0
      )
    )
    ARRAY JOIN arrayEnumerate(starts) AS k
  )`;
}
