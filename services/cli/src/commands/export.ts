import type { Command } from 'commander';
import { z } from 'zod';
import { exitCodeOf } from '../exit-codes.ts';
import { checkRoundFlag } from '../round-flag.ts';
import { addStoreOptions, resolveStore } from '../store-options.ts';
import { UsageError } from '../usage-error.ts';

const optsSchema = z.object({
  round: z.string().optional(),
  defaultPort: z.coerce.number().int().min(0).max(65535).optional(),
});

/** `bitcrawl export KIND`: dnsseed.dump, a Bitnodes snapshot, or the reliability rows as CSV, to stdout. */
export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description(
      'stream the crawl to stdout: seeds (dnsseed.dump), bitnodes (snapshot JSON), csv (per-node reliability)',
    )
    .argument('<kind>', 'seeds|bitnodes|csv')
    .option('--round <id>', 'as of this round (default: the newest)')
    .option(
      '--default-port <port>',
      "the network's default port for `good` (default: the round's most common)",
    );
  addStoreOptions(cmd).action(async (kind: string, raw: Record<string, unknown>) => {
    const o = optsSchema.parse(raw);
    const { EXPORT_KINDS, runExport } = await import('../export/run-export.ts');
    if (!(EXPORT_KINDS as readonly string[]).includes(kind))
      throw new UsageError(`export: unknown kind "${kind}" (${EXPORT_KINDS.join(', ')})`);
    // --clickhouse, --store, $CLICKHOUSE_URL, $STORE_DIR, ./data: as query and report find it.
    const { options, where } = resolveStore(raw);
    const { migrate, openStore } = await import('@bitcrawl/storage');
    checkRoundFlag(o.round);
    const store = await openStore(options);
    try {
      await migrate(store); // an older store gains the views and tables the exports read
      const done = await runExport(
        store,
        kind as (typeof EXPORT_KINDS)[number],
        {
          ...(o.round ? { round: o.round } : {}),
          ...(o.defaultPort !== undefined ? { defaultPort: o.defaultPort } : {}),
        },
        process.stdout,
      );
      // stdout is the export; which round it is as of goes beside it.
      process.stderr.write(`${kind}: ${done.endpoints} endpoints as of round ${done.round} from ${where}\n`);
    } catch (err) {
      process.stderr.write(`bitcrawl export: ${(err as Error).message.split('\n')[0]}\n`);
      process.exitCode = exitCodeOf(err) ?? 1;
    } finally {
      await store.close();
    }
  });
}
