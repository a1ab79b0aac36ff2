/**
 * The one binding layer between typed read functions and ClickHouse. A read writes its values as
 * `{name:Type}` placeholders; where the server has query parameters (chdb, current ClickHouse)
 * they travel apart from the SQL, and on 18.16, which has none, the literal formatter writes
 * them in. No other code puts values into SQL.
 */
import type { Store } from '../store.ts';
import { formatLiterals, type SqlParams } from './literal.ts';

export interface BoundQuery {
  query: string;
  query_params?: Record<string, unknown>;
}

/** Query parameters arrived in ClickHouse 19.x; 20 and later (and chdb) surely have them. */
export function hasQueryParams(store: Pick<Store, 'engine' | 'version'>): boolean {
  return store.engine === 'chdb' || Number(store.version.split('.')[0]) >= 20;
}

/** The query and its parameters in the form this store's server takes. */
export function bindQuery(
  store: Pick<Store, 'engine' | 'version'>,
  sql: string,
  params: SqlParams = {},
): BoundQuery {
  const literal = formatLiterals(sql, params); // the same checks on every engine
  if (literal === sql) return { query: sql };
  if (!hasQueryParams(store)) return { query: literal };
  return { query: sql, query_params: toWire(params) };
}

/** bigint is not JSON: the client sends numbers and strings; exact integers go as decimal text. */
function toWire(params: SqlParams): Record<string, unknown> {
  const conv = (v: unknown): unknown =>
    typeof v === 'bigint' ? v.toString() : Array.isArray(v) ? v.map(conv) : v;
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, conv(v)]));
}
