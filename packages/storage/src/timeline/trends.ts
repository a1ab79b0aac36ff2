import { queryRows } from '../queries.ts';
import { byNetwork, inRoundOrder } from '../round-order.ts';
import type { Store } from '../store.ts';
import type { RoundSpan } from './rounds.ts';
import { num } from './sql-values.ts';
import { churnSql, unreachableSql, v2AdoptionSql } from './trends-sql.ts';

export interface ChurnRow {
  crawlId: string;
  network: string;
  /** Reachable for the first time. */
  new: number;
  /** Reachable in the previous round, not in this one. */
  gone: number;
  /** Reachable again after at least one round away. */
  returned: number;
  /** Reachable in both. */
  stayed: number;
}

/**
 * Churn of `show` (a tail of `all`, the store's rounds oldest first) against each one's previous
 * round. `all` must hold every round before them: "new" means never reachable in any of them.
 */
export async function churnByRound(
  store: Store,
  all: readonly RoundSpan[],
  show: readonly RoundSpan[],
): Promise<ChurnRow[]> {
  if (show.length === 0) return [];
  const ids = all.map((r) => r.crawlId);
  const from = ids.indexOf((show[0] as RoundSpan).crawlId) + 1;
  if (from === 0) throw new Error(`round ${(show[0] as RoundSpan).crawlId} is not in the list`);
  const rows = await queryRows(store, churnSql(ids, from));
  const out = new Map<string, ChurnRow>();
  for (const r of rows) {
    const crawlId = ids[num(r.r) - 1] as string;
    const network = String(r.network);
    const key = `${num(r.r)}\t${network}`;
    const row = out.get(key) ?? { crawlId, network, new: 0, gone: 0, returned: 0, stayed: 0 };
    row[String(r.cls) as 'new' | 'gone' | 'returned' | 'stayed'] = num(r.n);
    out.set(key, row);
  }
  return inRoundOrder(ids, [...out.values()], (r) => r.crawlId, byNetwork);
}

export interface UnreachableRow {
  crawlId: string;
  network: string;
  /** Distinct addresses gossiped with an advertised time within 24 h. */
  gossiped: number;
  /** Of those, reachable in the round. */
  reachable: number;
  /** The estimate: gossiped as recently seen, never reachable in the round. */
  unreachable: number;
}

export async function unreachableEstimate(
  store: Store,
  crawlIds: readonly string[],
): Promise<UnreachableRow[]> {
  if (crawlIds.length === 0) return [];
  const rows = await queryRows(store, unreachableSql(crawlIds));
  const out = rows.map((r) => ({
    crawlId: String(r.crawl_id),
    network: String(r.network),
    gossiped: num(r.gossiped),
    reachable: num(r.reachable),
    unreachable: num(r.gossiped) - num(r.reachable),
  }));
  return inRoundOrder(crawlIds, out, (r) => r.crawlId, byNetwork);
}

export interface V2Row {
  crawlId: string;
  /** First user-agent component's name and major version ("Satoshi 27"). */
  family: string;
  reachable: number;
  /** Advertising NODE_P2P_V2. */
  v2: number;
}

export async function v2Adoption(store: Store, crawlIds: readonly string[]): Promise<V2Row[]> {
  if (crawlIds.length === 0) return [];
  const rows = await queryRows(store, v2AdoptionSql(crawlIds));
  const out = rows.map((r) => ({
    crawlId: String(r.crawl_id),
    family: String(r.family),
    reachable: num(r.reachable),
    v2: num(r.v2),
  }));
  return inRoundOrder(
    crawlIds,
    out,
    (r) => r.crawlId,
    (a, b) => b.reachable - a.reachable || a.family.localeCompare(b.family),
  );
}
