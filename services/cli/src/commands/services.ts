import type { Command } from 'commander';
import { refuseExamplePasswords } from '../example-secrets.ts';
import type { CliEntry } from '../main.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Flags are a convenience over the environment: each one sets the variable named beside it. */
type FlagMap = Record<string, { env: string; list?: boolean; bool?: string }>;

function overlay(opts: Record<string, unknown>, map: FlagMap): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [flag, spec] of Object.entries(map)) {
    const v = opts[flag];
    if (v === undefined) continue;
    if (spec.bool !== undefined) env[spec.env] = v ? 'true' : 'false';
    else env[spec.env] = Array.isArray(v) ? v.join(',') : String(v);
  }
  return env;
}

const common: FlagMap = {
  redis: { env: 'REDIS_URL' },
  logLevel: { env: 'LOG_LEVEL' },
  metricsPort: { env: 'METRICS_PORT' },
};

/**
 * `bitcrawl seeder|worker|ingester`: each service as its own process, configured by environment
 * variables or the equivalent flags (validated with zod in the service's main.ts; a bad value
 * names the variable and exits 2).
 */
export function register(program: Command, entry: CliEntry = {}): void {
  const seeder: FlagMap = {
    ...common,
    network: { env: 'CHAIN' },
    seed: { env: 'SEEDS', list: true },
    dns: { env: 'DNS', bool: '' },
    dnsServer: { env: 'DNS_SERVERS', list: true },
    crawlId: { env: 'CRAWL_ID' },
    roundInterval: { env: 'ROUND_INTERVAL_MS' },
  };
  program
    .command('seeder')
    .description(
      'start crawl rounds from DNS seeds, --seed and fixed seeds (env: REDIS_URL, CHAIN, SEEDS, DNS, ...)',
    )
    .option('--redis <url>', 'REDIS_URL')
    .option('--network <name>', 'CHAIN')
    .option('--seed <host:port>', 'SEEDS (repeatable)', collect)
    .option('--no-dns', 'DNS=false')
    .option('--dns-server <ip:port>', 'DNS_SERVERS (repeatable)', collect)
    .option('--crawl-id <id>', 'CRAWL_ID: seed this one round and exit')
    .option('--round-interval <ms>', 'ROUND_INTERVAL_MS')
    .option('--metrics-port <port>', 'METRICS_PORT')
    .option('--log-level <level>', 'LOG_LEVEL')
    .action(async (o: Record<string, unknown>) => {
      const env = overlay(o, seeder);
      if (o.dns !== false) delete env.DNS; // commander sets dns=true by default; only --no-dns overrides
      await (await import('@bitcrawl/seeder')).main(refuseExamplePasswords({ ...process.env, ...env }));
    });

  const worker: FlagMap = {
    ...common,
    network: { env: 'CHAIN' },
    concurrency: { env: 'CONCURRENCY' },
    threads: { env: 'THREADS' },
    transport: { env: 'TRANSPORT' },
    allowPrivate: { env: 'ALLOW_PRIVATE', bool: '' },
    proxy: { env: 'PROXY' },
    proxyOnion: { env: 'PROXY_ONION' },
    proxyI2p: { env: 'PROXY_I2P' },
    proxyCjdns: { env: 'PROXY_CJDNS' },
    cjdns: { env: 'CJDNS_ROUTE', bool: '' },
  };
  program
    .command('worker')
    .description(
      'visit peers from the crawl queue (env: REDIS_URL, CONCURRENCY, ALLOW_PRIVATE, PROXY_*, ...)',
    )
    .option('--redis <url>', 'REDIS_URL')
    .option('--network <name>', 'CHAIN')
    .option('--concurrency <n>', 'CONCURRENCY')
    .option('--threads <n>', 'THREADS: crawl threads (event loops) sharing CONCURRENCY')
    .option('--transport <mode>', 'TRANSPORT: v2-first (default), v1 or v2-only')
    .option('--allow-private', 'ALLOW_PRIVATE=true')
    .option('--proxy <url>', 'PROXY')
    .option('--proxy-onion <url>', 'PROXY_ONION')
    .option('--proxy-i2p <url>', 'PROXY_I2P')
    .option('--proxy-cjdns <url>', 'PROXY_CJDNS')
    .option('--cjdns', 'CJDNS_ROUTE=true')
    .option('--metrics-port <port>', 'METRICS_PORT')
    .option('--log-level <level>', 'LOG_LEVEL')
    .action(async (o: Record<string, unknown>) =>
      (await import('@bitcrawl/worker')).main(
        refuseExamplePasswords({ ...process.env, ...overlay(o, worker) }),
        entry.workerThreadEntry ? { threadEntry: entry.workerThreadEntry } : {},
      ),
    );

  const ingester: FlagMap = {
    ...common,
    clickhouse: { env: 'CLICKHOUSE_URL' },
    store: { env: 'STORE_DIR' },
    batchSize: { env: 'BATCH_SIZE' },
    consumer: { env: 'CONSUMER_NAME' },
    geoipAsnDb: { env: 'GEOIP_ASN_DB' },
    geoipCityDb: { env: 'GEOIP_CITY_DB' },
    gossipRetentionDays: { env: 'GOSSIP_RETENTION_DAYS' },
    cloudAsns: { env: 'CLOUD_ASNS' },
  };
  program
    .command('ingester')
    .description('move observations into ClickHouse (env: REDIS_URL, CLICKHOUSE_URL or STORE_DIR, ...)')
    .option('--redis <url>', 'REDIS_URL')
    .option('--clickhouse <url>', 'CLICKHOUSE_URL')
    .option('--store <dir>', 'STORE_DIR (embedded ClickHouse)')
    .option('--batch-size <n>', 'BATCH_SIZE')
    .option('--consumer <name>', 'CONSUMER_NAME')
    .option(
      '--geoip-asn-db <file>',
      'GEOIP_ASN_DB (ip2asn-combined.tsv(.gz) or ASN CSV; files comma-separated)',
    )
    .option('--geoip-city-db <file>', 'GEOIP_CITY_DB (MMDB city databases, comma-separated)')
    .option('--gossip-retention-days <n>', 'GOSSIP_RETENTION_DAYS (30)')
    .option('--cloud-asns <file>', 'CLOUD_ASNS (JSON {"<asn>": "<provider>"})')
    .option('--metrics-port <port>', 'METRICS_PORT')
    .option('--log-level <level>', 'LOG_LEVEL')
    .action(async (o: Record<string, unknown>) =>
      (await import('@bitcrawl/ingester')).main(
        refuseExamplePasswords({ ...process.env, ...overlay(o, ingester) }),
      ),
    );
}
