import { queryRows } from '../queries.ts';
import type { Store } from '../store.ts';

/** How many rounds the observations hold, and the newest by its last visit (undefined when none). */
export async function roundsInStore(store: Store): Promise<{ count: number; newest?: string }> {
  const [r] = await queryRows<{ n: string | number; newest: string }>(
    store,
    'SELECT uniqExact(crawl_id) AS n, argMax(crawl_id, ts_ms) AS newest FROM observations',
  );
  const count = Number(r?.n ?? 0);
  return count === 0 ? { count } : { count, newest: String(r?.newest) };
}
