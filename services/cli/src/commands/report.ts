import { addFlags, fromFlags } from '@bitcrawl/config';
import type { Command } from 'commander';
import { exitCodeOf } from '../exit-codes.ts';
import { addStoreOptions, resolveStore } from '../store-options.ts';

/** `bitcrawl report`: reachable nodes over rounds, outcomes and errors, user agents, GeoIP/ASN/cloud. */
export function register(program: Command): void {
  const cmd = program
    .command('report')
    .description(
      'the crawl in numbers (the newest round by default): reachable nodes over rounds, outcomes, errors, user agents, countries, ASes, cloud share',
    );
  addStoreOptions(addFlags(cmd, 'report')).action(async (raw: Record<string, unknown>) => {
    const o = fromFlags('report', raw);
    const { options } = resolveStore(raw);
    const { migrate, openStore } = await import('@bitcrawl/storage');
    const { buildReport, renderReport } = await import('../report/report.ts');
    const store = await openStore(options);
    try {
      // A store made before a later migration (node_geo), or an empty one, reports what it has
      // ("no rounds" when empty) instead of failing on a missing table.
      await migrate(store);
      const report = await buildReport(
        store,
        o.round ? { round: o.round } : { rounds: o.allRounds ? 'all' : (o.rounds ?? 1) },
      );
      process.stdout.write(renderReport(report, o.format));
    } catch (err) {
      // No such round (2) or a ClickHouse error (1): one line.
      process.stderr.write(`bitcrawl report: ${(err as Error).message.split('\n')[0]}\n`);
      process.exitCode = exitCodeOf(err) ?? 1;
    } finally {
      await store.close();
    }
  });
}
