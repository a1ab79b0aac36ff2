import { existsSync } from 'node:fs';
import { UsageError } from './usage-error.ts';

/**
 * For the commands that read a crawl (query, report): an embedded store directory that does not
 * exist is a mistake (a typo, or the wrong working directory), not a request to create an empty
 * store there. Commands that write (crawl, ingester, geo-backfill) create it instead.
 */
export function requireExistingStore(o: { clickhouse?: string | undefined; store: string }): void {
  if (o.clickhouse === undefined && !existsSync(o.store))
    throw new UsageError(
      `no store at ${o.store}: crawl into it first (bitcrawl crawl --store ${o.store}), or pass --clickhouse URL`,
    );
}
