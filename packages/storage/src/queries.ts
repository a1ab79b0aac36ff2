import type { Store } from './store.ts';

/** Runs SQL and returns rows as objects (JSONEachRow), on either engine. */
export async function queryRows<T = Record<string, unknown>>(store: Store, sql: string): Promise<T[]> {
  const rs = await store.client.query({
    query: sql,
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
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(crawlId)) throw new Error(`bad crawl id "${crawlId}"`);
  return queryRows<RoundSummaryRow>(
    store,
    `SELECT crawl_id, network, visited, reachable FROM round_summary WHERE crawl_id = '${crawlId}' ORDER BY network`,
  );
}
