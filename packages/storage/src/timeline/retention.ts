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
  const tables = (
    await queryRows<{ name: string }>(
      store,
      `SELECT name FROM system.tables WHERE database = currentDatabase()
         AND name IN ('gossip', 'addr_gossip_v1', 'addr_gossip') AND engine LIKE '%MergeTree' ORDER BY name`,
    )
  ).map((t) => t.name);
  const ttl = Number(store.version.split('.')[0]) >= 20;
  for (const table of tables) {
    await store.client.command({
      query: ttl
        ? `ALTER TABLE ${table} MODIFY TTL ts + toIntervalDay(${intLiteral(days)})`
        : `ALTER TABLE ${table} DELETE WHERE ts < now() - ${intLiteral(days * 86_400)}`,
      clickhouse_settings: store.settings,
    });
  }
  return { how: ttl ? 'ttl' : 'delete', tables };
}
