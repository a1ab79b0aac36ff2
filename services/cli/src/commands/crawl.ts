import { type Command, Option } from 'commander';
import { z } from 'zod';
import type { CliEntry } from '../main.ts';
import { UsageError } from '../usage-error.ts';

const collect = (v: string, prev: string[] = []) => [...prev, v];
const int = z.coerce.number().int().positive();

const optsSchema = z.object({
  network: z.string().default('mainnet'),
  seed: z.array(z.string()).default([]),
  dns: z.boolean().default(true),
  dnsServer: z.array(z.string()).default([]),
  dnsSeed: z.array(z.string()).optional(),
  allowPrivate: z.boolean().default(false),
  concurrency: int.default(500),
  proxy: z.string().optional(),
  proxyOnion: z.string().optional(),
  proxyI2p: z.string().optional(),
  proxyCjdns: z.string().optional(),
  cjdns: z.boolean().default(false),
  redis: z.string().optional(),
  clickhouse: z.string().optional(),
  store: z.string().default('data'),
  once: z.boolean().default(false),
  crawlId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'crawl id: 1-64 characters of A-Z a-z 0-9 . _ -')
    .optional(),
  connectTimeout: int.optional(),
  handshakeTimeout: int.optional(),
  getaddrTimeout: int.optional(),
  idleTimeout: int.optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  geoipAsnDb: z.string().optional(),
  geoipCityDb: z.string().optional(),
  gossipRetentionDays: z.coerce.number().int().min(1).max(36_500).default(30),
  roundInterval: z.coerce
    .number()
    .int()
    .min(0)
    .max(30 * 86_400_000)
    .optional(),
  cloudAsns: z.string().optional(),
});

/** Every address visited this long ago or less is revisited in each round (the seeders' 30 d window). */
const KNOWN_HORIZON_MS = 30 * 86_400_000;
/** Default time between round starts (ROUND_INTERVAL_MS). */
export const DEFAULT_ROUND_INTERVAL_MS = 30 * 60_000;

function roundIntervalFromEnv(v: string | undefined): number {
  if (v === undefined || v === '') return DEFAULT_ROUND_INTERVAL_MS;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`ROUND_INTERVAL_MS: "${v}" is not a whole number of ms >= 0`);
  return n;
}

/** `bitcrawl crawl`: the whole pipeline in one process, for one machine. */
export function register(program: Command, entry: CliEntry = {}): void {
  program
    .command('crawl')
    .description('crawl a network with seeder, worker and ingester in one process')
    .option('--network <name>', 'mainnet|testnet|testnet4|signet|regtest', 'mainnet')
    .option('--seed <host:port>', 'seed address (repeatable)', collect)
    .option('--no-dns', 'do not resolve the DNS seeds')
    .option(
      '--dns-server <ip:port>',
      'DNS server to ask instead of the system resolver (repeatable)',
      collect,
    )
    .option('--dns-seed <name>', 'DNS seed name instead of the chain defaults (repeatable)', collect)
    .option('--allow-private', 'allow loopback/private targets (simnets, labs)')
    .option('--concurrency <n>', 'concurrent visits', '500')
    .option('--proxy <url>', 'SOCKS5 proxy for all IPv4/IPv6/onion traffic')
    .option('--proxy-onion <url>', 'SOCKS5 proxy for .onion (Tor)')
    .option('--proxy-i2p <url>', 'SOCKS5 proxy for .b32.i2p (i2pd)')
    .option('--proxy-cjdns <url>', 'SOCKS5 proxy for CJDNS addresses')
    .option('--cjdns', 'this host has a CJDNS route')
    .option('--redis <url>', 'Redis URL (default: a private redis-server for this run)')
    .addOption(new Option('--clickhouse <url>', 'ClickHouse server URL').conflicts('store'))
    .option('--store <dir>', 'embedded ClickHouse (chdb) directory', 'data')
    .option('--once', 'finish one round, flush to storage, print a summary and exit')
    .option('--crawl-id <id>', 'round id (default: r<UTC timestamp>)')
    .option('--connect-timeout <ms>', 'connect timeout (IP networks)')
    .option('--handshake-timeout <ms>', 'handshake timeout')
    .option('--getaddr-timeout <ms>', 'how long to wait for a getaddr answer')
    .option('--idle-timeout <ms>', 'silence that ends an answer')
    .option('--log-level <level>', 'pino log level (to stderr)', 'warn')
    .option('--geoip-asn-db <file>', 'ip2asn-combined.tsv(.gz) or ASN CSV (comma-separated files): node_geo')
    .option('--geoip-city-db <file>', 'MaxMind-format (MMDB) city databases, comma-separated: node_location')
    .option(
      '--round-interval <ms>',
      'without --once: start a round this long after the previous one started, or when it ends if later (ROUND_INTERVAL_MS; 30 min)',
    )
    .option('--gossip-retention-days <n>', 'days of addr_gossip kept (ClickHouse TTL)', '30')
    .option('--cloud-asns <file>', 'JSON {"<asn>": "<provider>"} added to the cloud provider table')
    .action(async (raw: unknown) => {
      const o = optsSchema.parse(raw);
      const { chainByName, ProtocolError } = await import('@bitcrawl/protocol');
      const { crawlerConfigFrom } = await import('@bitcrawl/crawler');
      const { seederConfigSchema } = await import('@bitcrawl/seeder');
      const { workerConfigSchema } = await import('@bitcrawl/worker');
      const { ingesterConfigSchema } = await import('@bitcrawl/ingester');
      const { DEFAULT_REVISIT } = await import('@bitcrawl/queue');
      const { createLogger } = await import('@bitcrawl/telemetry');
      const { runLocalCrawl } = await import('../compose/local-crawl.ts');
      let chain: ReturnType<typeof chainByName>;
      try {
        chain = chainByName(o.network);
      } catch (err) {
        if (err instanceof ProtocolError) throw new UsageError(err.message);
        throw err;
      }
      const logger = createLogger({ service: 'crawl', level: o.logLevel, destination: process.stderr });
      const controller = new AbortController();
      // The first signal stops the crawl gracefully; a second one ends the process at once.
      const { onStopSignals } = await import('../stop-signals.ts');
      const offSignals = onStopSignals(() => controller.abort());
      const summary = await runLocalCrawl(
        {
          ...(o.redis ? { redisUrl: o.redis } : {}),
          store: o.clickhouse ? { url: o.clickhouse } : { dir: o.store },
          crawler: crawlerConfigFrom({
            chain: chain.name,
            allowPrivate: o.allowPrivate,
            cjdnsRoute: o.cjdns,
            proxy: o.proxy,
            proxyOnion: o.proxyOnion,
            proxyI2p: o.proxyI2p,
            proxyCjdns: o.proxyCjdns,
            connectMs: o.connectTimeout,
            handshakeMs: o.handshakeTimeout,
            getaddrMs: o.getaddrTimeout,
            idleAfterAnswerMs: o.idleTimeout,
          }),
          seeder: seederConfigSchema.parse({
            chain: chain.name,
            seeds: o.seed,
            dns: o.dns,
            dnsServers: o.dnsServer,
            ...(o.dnsSeed ? { dnsSeeds: o.dnsSeed } : {}),
          }),
          worker: workerConfigSchema.parse({ concurrency: o.concurrency, shutdownGraceMs: 5_000 }),
          ingester: ingesterConfigSchema.parse({
            flushIntervalMs: 1_000,
            geoDb: o.geoipAsnDb,
            cityDb: o.geoipCityDb,
            cloudAsns: o.cloudAsns,
          }),
          revisit: DEFAULT_REVISIT,
          once: o.once,
          gossipRetentionDays: o.gossipRetentionDays,
          rounds: {
            intervalMs: o.roundInterval ?? roundIntervalFromEnv(process.env.ROUND_INTERVAL_MS),
            knownForMs: KNOWN_HORIZON_MS,
          },
          onRound: (s) => process.stdout.write(`${JSON.stringify(s)}\n`),
          ...(o.crawlId ? { crawlId: o.crawlId } : {}),
          progress: (line) => process.stderr.write(`${line}\n`),
          logger,
          logLevel: o.logLevel,
          ...(entry.ingestThreadEntry ? { ingestThreadEntry: entry.ingestThreadEntry } : {}),
        },
        controller.signal,
      );
      offSignals();
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      // A partial round is not a finished one: scripts see it in the status as in the summary.
      if (summary.interrupted) process.exitCode = 130;
    });
}
