import { queryRows } from '../queries.ts';
import type { Store } from '../store.ts';
import { intLiteral } from './sql-values.ts';

/** Days of gossip kept by default (GOSSIP_RETENTION_DAYS). */
export const DEFAULT_GOSSIP_RETENTION_DAYS = 30;

/**
 * Keeps `days` of gossip: in `gossip` (one row of arrays per answer), and in `addr_gossip_v1`
 * (the rows written before migration 0006), or `addr_gossip` itself while it is still a table.
 * Current ClickHouse (chdb, the compose server) gets a table TTL, which it enforces as it
 * merges; 18.16 has no TTL, so there the older gossip is deleted now (a mutation: run it once
 * per round). Returns which way it went and the tables it applied to.
 */
export async function applyGossipRetention(
  store: Store,
  days: number,
): Promise<{ how: 'ttl' | 'delete'; tables: string[] }> {
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`gossip retention: ${days} is not a whole number of days >= 1`);
  const found = await queryRows<{ name: string; engine_full: string }>(
    store,
    `SELECT name, engine_full FROM system.tables WHERE database = currentDatabase()
       AND name IN ('gossip', 'addr_gossip_v1', 'addr_gossip') AND engine LIKE '%MergeTree' ORDER BY name`,
  );
  const tables = found.map((t) => t.name);
  const ttl = Number(store.version.split('.')[0]) >= 20;
  const clause = `TTL ts + toIntervalDay(${intLiteral(days)})`;
  for (const t of found) {
    // Set once (an ALTER per round would be a schema change per round), and without
    // materializing it over the existing parts: that is a mutation rewriting the whole table,
    // which merges do anyway, and embedded chdb waits on it for ever.
    if (ttl && t.engine_full.includes(clause)) continue;
    await store.client.command({
      query: ttl
        ? `ALTER TABLE ${t.name} MODIFY ${clause}`
        : `ALTER TABLE ${t.name} DELETE WHERE ts < now() - ${intLiteral(days * 86_400)}`,
      clickhouse_settings: ttl ? { ...store.settings, materialize_ttl_after_modify: 0 } : store.settings,
    });
  }
  return { how: ttl ? 'ttl' : 'delete', tables };
}
