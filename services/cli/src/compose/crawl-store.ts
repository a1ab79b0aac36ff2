import { InfraError } from '@bitcrawl/model';
import type { Frontier } from '@bitcrawl/queue';
import { openStore, roundSummary, type Store, type StoreOptions } from '@bitcrawl/storage';
import { describeConnectionError, redactUrl } from '../reachability.ts';
import { UsageError } from '../usage-error.ts';

/** The store could not be opened (not a connection failure: a bad --store directory, say). */
export class StoreUnusableError extends InfraError {
  readonly code = 'STORE_UNUSABLE';
}

export async function openCrawlStore(opts: StoreOptions): Promise<Store> {
  try {
    return await openStore(opts);
  } catch (err) {
    if (describeConnectionError(err)) throw err; // printed as "cannot connect to ..." by main
    const where = opts.url ? `ClickHouse at ${redactUrl(opts.url)}` : `--store ${opts.dir ?? 'data'}`;
    throw new StoreUnusableError(
      `cannot open the store (${where}): ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * A --crawl-id the store already holds, in a Redis that knows nothing of it (a private Redis,
 * or another one), would visit every address again under the same round id: the report would
 * count each twice. Continuing a round is what the Redis that crawled it is for.
 */
export async function refuseRestartedRound(store: Store, frontier: Frontier, crawlId: string): Promise<void> {
  if ((await frontier.progress(crawlId)).seen > 0) return; // this Redis has the round: it continues
  const stored = (await roundSummary(store, crawlId)).reduce((n, r) => n + Number(r.visited), 0);
  if (stored > 0)
    throw new UsageError(
      `--crawl-id ${crawlId}: the store already has ${stored} visits of that round, and this Redis has no ` +
        'record of it, so its addresses would be visited and counted again; choose a new --crawl-id, ' +
        'or pass the --redis that crawled it to continue the round',
    );
}
