import { addFlags, fromFlags } from '@bitcrawl/config';
import type { Command } from 'commander';
import { exitCodeOf } from '../exit-codes.ts';
import { addStoreOptions, resolveStore } from '../store-options.ts';
import { UsageError } from '../usage-error.ts';

/** `bitcrawl export KIND`: dnsseed.dump, a Bitnodes snapshot, or the reliability rows as CSV, to stdout. */
export function register(program: Command): void {
  const cmd = program
    .command('export')
    .description(
      'stream the crawl to stdout: seeds (dnsseed.dump), bitnodes (snapshot JSON), csv (per-node reliability)',
    )
    .argument('<kind>', 'seeds|bitnodes|csv');
  addStoreOptions(addFlags(cmd, 'export')).action(async (kind: string, raw: Record<string, unknown>) => {
    const o = fromFlags('export', raw);
    const { EXPORT_KINDS, runExport } = await import('../export/run-export.ts');
    if (!(EXPORT_KINDS as readonly string[]).includes(kind))
      throw new UsageError(`export: unknown kind "${kind}" (${EXPORT_KINDS.join(', ')})`);
    // --clickhouse, --store, $CLICKHOUSE_URL, $STORE_DIR, ./data: as query and report find it.
    const { options, where } = resolveStore(raw);
    const { migrate, openStore } = await import('@bitcrawl/storage');
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
