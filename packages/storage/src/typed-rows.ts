import type { Store } from './store.ts';

export interface TypedRows {
  /** Each result column with its ClickHouse type, in order. */
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
}

/** Runs SQL and returns its rows with the columns' types (JSON format), on either engine. */
export async function queryTypedRows(store: Store, sql: string): Promise<TypedRows> {
  const rs = await store.client.query({ query: sql, format: 'JSON', clickhouse_settings: store.settings });
  const out = (await rs.json()) as {
    meta?: { name: string; type: string }[];
    data?: Record<string, unknown>[];
  };
  return { columns: out.meta ?? [], rows: out.data ?? [] };
}

/** 64-bit (and wider) integer types, which ClickHouse quotes in JSON so that nothing is rounded. */
const WIDE_INT = /^(?:(?:Nullable|LowCardinality)\()*U?Int(?:64|128|256)\)*$/;

/**
 * The rows with their wide integers as JSON numbers where a number holds them exactly (up to
 * 2^53), and as strings only where it would not: `query --format json` and `report` print
 * counts alike, and a script never meets a rounded value.
 */
export function withExactNumbers(t: TypedRows): Record<string, unknown>[] {
  const wide = t.columns.filter((c) => WIDE_INT.test(c.type)).map((c) => c.name);
  if (wide.length === 0) return t.rows;
  return t.rows.map((row) => {
    const out = { ...row };
    for (const name of wide) {
      const v = out[name];
      if (typeof v === 'string' && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v)))
        out[name] = Number(v);
    }
    return out;
  });
}
