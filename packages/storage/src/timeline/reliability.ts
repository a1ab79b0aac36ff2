import type { Endpoint } from '@bitcrawl/protocol';
import { queryRows } from '../queries.ts';
import type { Store } from '../store.ts';
import { RELIABILITY_WINDOWS, reliabilitySql, type WindowKey } from './reliability-sql.ts';
import type { RoundSpan } from './rounds.ts';
import { endpointOf, intLiteral, num, roundLiteral } from './sql-values.ts';

/** One endpoint's record as of a round (times in seconds since the epoch, 0 = never). */
export interface NodeReliability extends Endpoint {
  firstSeen: number;
  lastSeen: number;
  lastSuccess: number;
  visits: number;
  successes: number;
  /** Weighted share of successful visits per window, 0..1. */
  reliability: Record<WindowKey, number>;
  /** Weighted visit count per window (the seeders' `count`). */
  weightedVisits: Record<WindowKey, number>;
  good: boolean;
  /** From the newest successful visit (0/'' when there was none). */
  protocolVersion: number;
  /** uint64 as a decimal string. */
  services: string;
  userAgent: string;
  startHeight: number;
  /** Start of the open uptime session, 0 when the newest visit failed. */
  upSince: number;
}

export interface ReliabilityOptions {
  /** The reference round: visits up to its last one count, weighed from then. */
  round: RoundSpan;
  /** The network's default port (good nodes listen on it); default: the round's most common reachable IP port. */
  defaultPort?: number;
}

/** Endpoints per query page when streaming: each page is one hash bucket of hosts. */
export const RELIABILITY_PAGE = 100_000;

export function reliabilityQuery(o: ReliabilityOptions, where?: string): string {
  const round = roundLiteral(o.round.crawlId);
  return reliabilitySql({
    nowMs: intLiteral(o.round.lastVisit),
    round,
    defaultPort:
      o.defaultPort !== undefined
        ? intLiteral(o.defaultPort)
        : `(SELECT topK(1)(port)[1] FROM observations WHERE crawl_id = ${round} AND outcome = 'ok' AND network IN ('ipv4', 'ipv6'))`,
    ...(where ? { where } : {}),
  });
}

export function toNodeReliability(r: Record<string, unknown>): NodeReliability {
  const per = (prefix: string) =>
    Object.fromEntries(RELIABILITY_WINDOWS.map((w) => [w.key, num(r[`${prefix}_${w.key}`])])) as Record<
      WindowKey,
      number
    >;
  return {
    ...endpointOf(r),
    firstSeen: num(r.first_seen),
    lastSeen: num(r.last_seen),
    lastSuccess: num(r.last_success),
    visits: num(r.visits),
    successes: num(r.successes),
    reliability: per('r'),
    weightedVisits: per('n'),
    good: num(r.good) === 1,
    protocolVersion: num(r.protocol_version),
    services: String(r.services ?? '0'),
    userAgent: String(r.user_agent ?? ''),
    startHeight: num(r.start_height),
    upSince: num(r.up_since),
  };
}

/** Every endpoint visited up to the round, in one answer (tests, small stores). */
export async function nodeReliability(store: Store, o: ReliabilityOptions): Promise<NodeReliability[]> {
  const rows = await queryRows(store, `${reliabilityQuery(o)} ORDER BY network, host, port`);
  return rows.map(toNodeReliability);
}

/** How many hash buckets to read `endpoints` in, at most `pageSize` each on average. */
export function bucketCount(endpoints: number, pageSize = RELIABILITY_PAGE): number {
  return Math.max(1, Math.ceil(endpoints / pageSize));
}

/** The condition selecting bucket `i` of `n` (by host, so an address's ports share a page). */
export const bucketWhere = (i: number, n: number) =>
  n === 1 ? undefined : `cityHash64(host) % ${intLiteral(n)} = ${intLiteral(i)}`;

/** Distinct endpoints visited up to the round (sizes the pages). */
export async function countEndpoints(store: Store, round: RoundSpan): Promise<number> {
  const [r] = await queryRows(
    store,
    `SELECT uniq(network, host, port) AS n FROM observations WHERE ts_ms <= ${intLiteral(round.lastVisit)}`,
  );
  return num(r?.n);
}

/**
 * The same rows, a page (one hash bucket of hosts) at a time, sorted within the page, so memory
 * stays that of one page however many endpoints the store holds (chdb buffers whole answers).
 * `filter` narrows the rows ("successes > 0").
 */
export async function* streamNodeReliability(
  store: Store,
  o: ReliabilityOptions & { filter?: string; pageSize?: number },
): AsyncGenerator<NodeReliability[]> {
  const n = bucketCount(await countEndpoints(store, o.round), o.pageSize);
  for (let i = 0; i < n; i++) {
    const rows = await queryRows(
      store,
      `SELECT * FROM (${reliabilityQuery(o, bucketWhere(i, n))})${o.filter ? ` WHERE ${o.filter}` : ''} ORDER BY network, host, port`,
    );
    yield rows.map(toNodeReliability);
  }
}

/** Per network: endpoints visited up to the round and how many of them are good. */
export async function goodByNetwork(
  store: Store,
  round: RoundSpan,
): Promise<{ network: string; endpoints: number; good: number }[]> {
  const rows = await queryRows(
    store,
    `SELECT network, count() AS n, sum(good) AS g FROM (${reliabilityQuery({ round })}) GROUP BY network ORDER BY network`,
  );
  return rows.map((r) => ({ network: String(r.network), endpoints: num(r.n), good: num(r.g) }));
}
