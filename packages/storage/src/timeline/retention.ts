import type { Store } from '../store.ts';
import { intLiteral } from './sql-values.ts';

/** Days of addr_gossip kept by default (GOSSIP_RETENTION_DAYS). */
export const DEFAULT_GOSSIP_RETENTION_DAYS = 30;

/**
 * Keeps `days` of addr_gossip. Current ClickHouse (chdb, the compose server) gets a table TTL,
 * which it enforces as it merges; 18.16 has no TTL, so there the gossip older than that is
 * deleted now (a mutation: run it once per round). Returns which way it went.
 */
export async function applyGossipRetention(store: Store, days: number): Promise<'ttl' | 'delete'> {
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`gossip retention: ${days} is not a whole number of days >= 1`);
  const major = Number(store.version.split('.')[0]);
  if (major >= 20) {
    await store.client.command({
      query: `ALTER TABLE addr_gossip MODIFY TTL ts + toIntervalDay(${intLiteral(days)})`,
      clickhouse_settings: store.settings,
    });
    return 'ttl';
  }
  await store.client.command({
    query: `ALTER TABLE addr_gossip DELETE WHERE ts < now() - ${intLiteral(days * 86_400)}`,
    clickhouse_settings: store.settings,
  });
  return 'delete';
}
