import { addFlags, fromFlags } from '@bitcrawl/config';
import type { Command } from 'commander';
import { addStoreOptions, resolveStore } from '../store-options.ts';

/**
 * `bitcrawl geo-backfill`: node_geo rows for addresses crawled before --geoip-asn-db was
 * given (or, with --all, for every address, after downloading a newer database).
 */
export function register(program: Command): void {
  const cmd = program
    .command('geo-backfill')
    .description(
      'add GeoIP/ASN/cloud data (node_geo) for addresses visited without it; --all re-writes every one',
    );
  addStoreOptions(addFlags(cmd, 'geo-backfill')).action(async (raw: Record<string, unknown>) => {
    const o = fromFlags('geo-backfill', raw);
    const { options, where } = resolveStore(raw, process.env, false);
    const { createLogger } = await import('@bitcrawl/telemetry');
    const { loadGeoEnricher, backfillGeo } = await import('@bitcrawl/ingester');
    const { migrate, openStore } = await import('@bitcrawl/storage');
    const logger = createLogger({ service: 'geo-backfill', level: 'warn', destination: process.stderr });
    // Loaded before the store opens: a bad file is a configuration error, reported on one line.
    const geo = await loadGeoEnricher({ geoDb: o.geoipAsnDb, cloudAsns: o.cloudAsns }, logger);
    if (!geo) throw new Error('unreachable: --geoip-asn-db is required');
    let store: Awaited<ReturnType<typeof openStore>> | undefined;
    try {
      // Inside the try: a bad URL, a refused login or a locked chdb directory is one line too.
      store = await openStore(options);
      await migrate(store); // node_geo may not exist yet in a store made before it
      const done = await backfillGeo(store, geo, {
        all: o.all,
        onPage: (d) =>
          process.stderr.write(`  ${d.addresses} addresses looked up, ${d.written} rows written\n`),
      });
      process.stdout.write(
        `geo-backfill: looked up ${done.addresses} visited IPv4/IPv6 addresses, wrote ${done.written} node_geo rows` +
          ` (${done.withoutData} without data in the database) to ${where}\n`,
      );
    } catch (err) {
      process.stderr.write(`bitcrawl geo-backfill: ${(err as Error).message.split('\n')[0]}\n`);
      process.exitCode = 1;
    } finally {
      await store?.close();
    }
  });
}
