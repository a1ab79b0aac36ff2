import type { Endpoint } from '@bitcrawl/protocol';
import { formatDateTime } from '../migrate.ts';
import { queryRows } from '../queries.ts';
import type { Store } from '../store.ts';
import { endpointOf, intLiteral, num, roundLiteral } from './sql-values.ts';

/** One `rounds` row: a round's figures for one network, written when the round ends. */
export interface RoundRow {
  crawlId: string;
  network: string;
  /** ms since the epoch (stored to the second). */
  started: number;
  finished: number;
  seeds: number;
  visited: number;
  reachable: number;
  failedVisits: number;
  interrupted: boolean;
}

export async function insertRounds(store: Store, rows: readonly RoundRow[]): Promise<void> {
  if (rows.length === 0) return;
  await store.client.insert({
    table: 'rounds',
    values: rows.map((r) => ({
      crawl_id: r.crawlId,
      network: r.network,
      started: formatDateTime(r.started),
      finished: formatDateTime(r.finished),
      seeds: r.seeds,
      visited: r.visited,
      reachable: r.reachable,
      failed_visits: r.failedVisits,
      interrupted: r.interrupted ? 1 : 0,
    })),
    format: 'JSONEachRow',
    clickhouse_settings: store.settings,
  });
}

/** The `rounds` table, oldest round first. */
export async function readRounds(store: Store): Promise<RoundRow[]> {
  const rows = await queryRows(
    store,
    `SELECT crawl_id, network, toUnixTimestamp(started) AS started, toUnixTimestamp(finished) AS finished,
            seeds, visited, reachable, failed_visits, interrupted
     FROM rounds FINAL ORDER BY started, crawl_id, network`,
  );
  return rows.map((r) => ({
    crawlId: String(r.crawl_id),
    network: String(r.network),
    started: num(r.started) * 1000,
    finished: num(r.finished) * 1000,
    seeds: num(r.seeds),
    visited: num(r.visited),
    reachable: num(r.reachable),
    failedVisits: num(r.failed_visits),
    interrupted: num(r.interrupted) === 1,
  }));
}

/** A round as its visits place it in time: every timeline query is "as of" one of these. */
export interface RoundSpan {
  crawlId: string;
  /** First and last visit, ms since the epoch. */
  firstVisit: number;
  lastVisit: number;
}

/**
 * Every round in the store, ordered by first visit (the order churn compares rounds in), read
 * from observations so rounds crawled before the `rounds` table existed count too.
 */
export async function listRounds(store: Store): Promise<RoundSpan[]> {
  const rows = await queryRows(
    store,
    `SELECT crawl_id, min(ts_ms) AS first, max(ts_ms) AS last FROM observations
     GROUP BY crawl_id ORDER BY first, crawl_id`,
  );
  return rows.map((r) => ({ crawlId: String(r.crawl_id), firstVisit: num(r.first), lastVisit: num(r.last) }));
}

/** The round asked for, or the newest; undefined when the store has no rounds. */
export async function findRound(store: Store, crawlId?: string): Promise<RoundSpan | undefined> {
  if (crawlId !== undefined) {
    const [r] = await queryRows(
      store,
      `SELECT min(ts_ms) AS first, max(ts_ms) AS last, count() AS n FROM observations WHERE crawl_id = ${roundLiteral(crawlId)}`,
    );
    return num(r?.n) > 0 ? { crawlId, firstVisit: num(r?.first), lastVisit: num(r?.last) } : undefined;
  }
  return (await listRounds(store)).at(-1);
}

/**
 * Every endpoint visited since `sinceMs` (what a new round revisits), a page (hash bucket of
 * hosts) at a time so a million endpoints never sit in memory at once.
 */
export async function* knownEndpoints(
  store: Store,
  sinceMs: number,
  pageSize = 50_000,
): AsyncGenerator<Endpoint[]> {
  const since = `ts_ms >= ${intLiteral(Math.floor(sinceMs))}`;
  const [c] = await queryRows(
    store,
    `SELECT uniq(network, host, port) AS n FROM observations WHERE ${since}`,
  );
  const pages = Math.max(1, Math.ceil(num(c?.n) / pageSize));
  for (let i = 0; i < pages; i++) {
    const bucket = pages > 1 ? ` AND cityHash64(host) % ${pages} = ${i}` : '';
    const rows = await queryRows(
      store,
      `SELECT DISTINCT network, host, port FROM observations WHERE ${since} AND outcome != 'not_dialable'${bucket}`,
    );
    yield rows.map(endpointOf);
  }
}
