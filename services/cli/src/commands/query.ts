import type { Command } from 'commander';
import { z } from 'zod';
import { formatRows } from '../format.ts';
import { requireExistingStore } from '../store-dir.ts';

const optsSchema = z.object({
  clickhouse: z.string().optional(),
  store: z.string().default('data'),
  format: z.enum(['table', 'json', 'csv']).default('table'),
});

/** `bitcrawl query "SQL"`: analytic SQL over the crawl's tables, on a server or the embedded store. */
export function register(program: Command): void {
  program
    .command('query')
    .description(
      'run SQL against ClickHouse (tables: observations, addr_gossip, node_geo; views: nodes, nodes_geo, round_summary)',
    )
    .argument('<sql>', 'the query')
    .option('--clickhouse <url>', 'ClickHouse server URL')
    .option('--store <dir>', 'embedded ClickHouse (chdb) directory', 'data')
    .option('--format <fmt>', 'table|json|csv', 'table')
    .action(async (sql: string, raw: unknown) => {
      const o = optsSchema.parse(raw);
      requireExistingStore(o);
      const { openStore, queryRows } = await import('@bitcrawl/storage');
      const store = await openStore(o.clickhouse ? { url: o.clickhouse } : { dir: o.store });
      try {
        const rows = await queryRows(store, sql);
        process.stdout.write(formatRows(rows, o.format));
      } catch (err) {
        process.stderr.write(`bitcrawl query: ${(err as Error).message.split('\n')[0]}\n`);
        process.exitCode = 1;
      } finally {
        await store.close();
      }
    });
}
