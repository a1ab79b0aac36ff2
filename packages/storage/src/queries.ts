import { bindQuery } from './sql/bind.ts';
import type { SqlParams } from './sql/literal.ts';
import type { Store } from './store.ts';

/**
 * Runs SQL and returns rows as objects (JSONEachRow), on either engine. Values go in as
 * `{name:Type}` placeholders with `params`, bound by the one binding layer (sql/bind.ts).
 */
export async function queryRows<T = Record<string, unknown>>(
  store: Store,
  sql: string,
  params: SqlParams = {},
): Promise<T[]> {
  const rs = await store.client.query({
    ...bindQuery(store, sql, params),
    format: 'JSONEachRow',
    clickhouse_settings: store.settings,
  });
  return (await rs.json()) as T[];
}

export interface RoundSummaryRow {
  crawl_id: string;
  network: string;
  visited: string | number;
  reachable: string | number;
}

export function roundSummary(store: Store, crawlId: string): Promise<RoundSummaryRow[]> {
  return queryRows<RoundSummaryRow>(
    store,
    'SELECT crawl_id, network, visited, reachable FROM round_summary WHERE crawl_id = {round:String} ORDER BY network',
    { round: crawlId },
  );
}
