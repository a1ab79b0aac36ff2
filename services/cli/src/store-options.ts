import { addFlags, fromFlags } from '@bitcrawl/config';
import type { StoreOptions } from '@bitcrawl/storage';
import type { Command } from 'commander';
import { redactUrl } from './reachability.ts';
import { requireExistingStore } from './store-dir.ts';

/**
 * Where the commands that read or amend a crawl (query, report, geo-backfill, export) find it,
 * resolved as the services resolve it: `--clickhouse URL`, else `--store DIR`, else
 * `$CLICKHOUSE_URL`, else `$STORE_DIR`, else the embedded store in `./data`.
 */
export function addStoreOptions(cmd: Command): Command {
  return addFlags(cmd, 'store');
}

export interface ResolvedStore {
  options: StoreOptions;
  /** How to name it to the user (a password in a URL masked). */
  where: string;
}

/**
 * The store a command's options and environment point at. With `mustExist` (commands that
 * read), an embedded store directory that is not there is a usage error, not a new empty store.
 */
export function resolveStore(
  raw: { clickhouse?: unknown; store?: unknown },
  env: NodeJS.ProcessEnv = process.env,
  mustExist = true,
): ResolvedStore {
  const given = (v: unknown) => typeof v === 'string' && v !== '';
  const v = fromFlags('store', raw, env);
  // --store beats $CLICKHOUSE_URL: a flag beats every variable.
  const url = given(raw.store) && !given(raw.clickhouse) ? undefined : v.clickhouseUrl;
  if (url) return { options: { url }, where: `ClickHouse at ${redactUrl(url)}` };
  const dir = v.storeDir;
  if (mustExist) requireExistingStore({ store: dir });
  return { options: { dir }, where: `the embedded store in ${dir}` };
}
