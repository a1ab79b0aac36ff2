import { isRejectedData } from './rejection.ts';

export interface Rejected<T> {
  item: T;
  /** ClickHouse's reason. */
  error: string;
}

/**
 * Inserts `items` with `insert`. When ClickHouse refuses the data itself (isRejectedData),
 * the batch is halved until every refused item stands alone; those are returned instead of
 * failing the whole batch, so one bad row cannot hold up the rows around it forever. Any other
 * error (an outage, a missing table) is thrown as `insert` threw it: retry the whole batch
 * then; halves stored before it are stored again, which the tables de-duplicate.
 */
export async function insertIsolatingRejects<T>(
  items: readonly T[],
  insert: (batch: readonly T[]) => Promise<void>,
): Promise<{ accepted: T[]; rejected: Rejected<T>[] }> {
  if (items.length === 0) return { accepted: [], rejected: [] };
  try {
    await insert(items);
    return { accepted: [...items], rejected: [] };
  } catch (err) {
    if (!isRejectedData(err)) throw err;
    if (items.length === 1)
      return { accepted: [], rejected: [{ item: items[0] as T, error: (err as Error).message }] };
    const mid = Math.ceil(items.length / 2);
    const a = await insertIsolatingRejects(items.slice(0, mid), insert);
    const b = await insertIsolatingRejects(items.slice(mid), insert);
    return { accepted: [...a.accepted, ...b.accepted], rejected: [...a.rejected, ...b.rejected] };
  }
}
