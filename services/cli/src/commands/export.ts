import { type Command, Option } from 'commander';
import { z } from 'zod';
import { exitCodeOf } from '../exit-codes.ts';
import { requireExistingStore } from '../store-dir.ts';
import { UsageError } from '../usage-error.ts';

const optsSchema = z.object({
  clickhouse: z.string().optional(),
  store: z.string().default('data'),
  round: z.string().optional(),
  defaultPort: z.coerce.number().int().min(0).max(65535).optional(),
});

/** `bitcrawl export KIND`: dnsseed.dump, a Bitnodes snapshot, or the reliability rows as CSV, to stdout. */
export function register(program: Command): void {
  program
    .command('export')
    .description(
      'stream the crawl to stdout: seeds (dnsseed.dump), bitnodes (snapshot JSON), csv (per-node reliability)',
    )
    .argument('<kind>', 'seeds|bitnodes|csv')
    .addOption(new Option('--clickhouse <url>', 'ClickHouse server URL').conflicts('store'))
    .option('--store <dir>', 'embedded ClickHouse (chdb) directory', 'data')
    .option('--round <id>', 'as of this round (default: the newest)')
    .option(
      '--default-port <port>',
      "the network's default port for `good` (default: the round's most common)",
    )
    .action(async (kind: string, raw: unknown) => {
      const o = optsSchema.parse(raw);
      const { EXPORT_KINDS, runExport } = await import('../export/run-export.ts');
      if (!(EXPORT_KINDS as readonly string[]).includes(kind))
        throw new UsageError(`export: unknown kind "${kind}" (${EXPORT_KINDS.join(', ')})`);
      requireExistingStore(o);
      const { ROUND_ID, migrate, openStore } = await import('@bitcrawl/storage');
      if (o.round !== undefined && !ROUND_ID.test(o.round))
        throw new UsageError(`--round: bad round id "${o.round}" (letters, digits, '.', '_', '-')`);
      const store = await openStore(o.clickhouse ? { url: o.clickhouse } : { dir: o.store });
      try {
        await migrate(store); // an older store gains the views and tables the exports read
        await runExport(
          store,
          kind as (typeof EXPORT_KINDS)[number],
          {
            ...(o.round ? { round: o.round } : {}),
            ...(o.defaultPort !== undefined ? { defaultPort: o.defaultPort } : {}),
          },
          process.stdout,
        );
      } catch (err) {
        process.stderr.write(`bitcrawl export: ${(err as Error).message.split('\n')[0]}\n`);
        process.exitCode = exitCodeOf(err) ?? 1;
      } finally {
        await store.close();
      }
    });
}
