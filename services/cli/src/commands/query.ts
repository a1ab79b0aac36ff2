import { addFlags, fromFlags } from '@bitcrawl/config';
import type { Command } from 'commander';
import { formatRows } from '../format.ts';
import { addStoreOptions, resolveStore } from '../store-options.ts';

/** `bitcrawl query "SQL"`: analytic SQL over the crawl's tables, on a server or the embedded store. */
export function register(program: Command): void {
  const cmd = program
    .command('query')
    .description(
      'run SQL against ClickHouse (tables: observations, addr_gossip, node_geo; views: nodes, nodes_geo, round_summary)',
    )
    .argument('<sql>', 'the query');
  addStoreOptions(addFlags(cmd, 'query')).action(async (sql: string, raw: Record<string, unknown>) => {
    const o = fromFlags('query', raw);
    const { options } = resolveStore(raw);
    const { openStore, queryTypedRows, withExactNumbers } = await import('@bitcrawl/storage');
    const store = await openStore(options);
    try {
      // JSON: counts as numbers (as report prints them), a string only past 2^53.
      const rows = withExactNumbers(await queryTypedRows(store, sql));
      process.stdout.write(formatRows(rows, o.format));
      // A store holds every round crawled into it: a query that does not pick one says so.
      if (!/crawl_id/i.test(sql)) {
        const note = await roundsNote(store);
        if (note) process.stderr.write(`${note}\n`);
      }
    } catch (err) {
      process.stderr.write(`bitcrawl query: ${(err as Error).message.split('\n')[0]}\n`);
      process.exitCode = 1;
    } finally {
      await store.close();
    }
  });
}

/**
 * Which rounds the rows may come from, for a query that does not pick one: a store holds every
 * round crawled into it (nothing for a new store).
 */
async function roundsNote(store: import('@bitcrawl/storage').Store): Promise<string | undefined> {
  const { listRounds } = await import('@bitcrawl/storage');
  let rounds: Awaited<ReturnType<typeof listRounds>>;
  try {
    rounds = await listRounds(store);
  } catch {
    return undefined; // no observations table yet: nothing to say
  }
  const newest = rounds.at(-1)?.crawlId;
  if (newest === undefined) return undefined;
  if (rounds.length === 1) return `(the store holds one round: ${newest})`;
  return (
    `(rows of all ${rounds.length} rounds in the store; the newest is ${newest}: ` +
    'add WHERE crawl_id = (SELECT argMax(crawl_id, ts_ms) FROM observations) for it alone)'
  );
}
