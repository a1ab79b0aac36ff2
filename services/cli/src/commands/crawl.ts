import { type Command, Option } from 'commander';
import { ZodError, z } from 'zod';
import type { CliEntry } from '../main.ts';
import { redactUrl } from '../reachability.ts';
import { addTimeoutOptions, timerErrorInFlags, timersFrom } from '../timeout-options.ts';
import { UsageError } from '../usage-error.ts';

/** Duplicated from @bitcrawl/seeder (not imported eagerly: the CLI loads services on demand). */
const MAX_ROUND_INTERVAL_MS = 30 * 86_400_000;

const collect = (v: string, prev: string[] = []) => [...prev, v];
const int = z.coerce.number().int().positive();

const optsSchema = z.object({
  network: z.string().default('mainnet'),
  seed: z.array(z.string()).default([]),
  dns: z.boolean().default(true),
  dnsServer: z.array(z.string()).default([]),
  dnsSeed: z.array(z.string()).optional(),
  allowPrivate: z.boolean().default(false),
  concurrency: int.default(2000),
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
  transport: z.enum(['v2-first', 'v1', 'v2-only']).default('v2-first'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
  geoipAsnDb: z.string().optional(),
  roundInterval: z.coerce.number().int().min(0).max(MAX_ROUND_INTERVAL_MS).optional(),
  cloudAsns: z.string().optional(),
});

/** `bitcrawl crawl`: the whole pipeline in one process, for one machine. */
export function register(program: Command, entry: CliEntry = {}): void {
  const cmd = program
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
    .option('--concurrency <n>', 'concurrent visits (lowered to what ulimit -n allows)', '2000')
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
    .addOption(
      new Option(
        '--round-interval <ms>',
        'without --once: a round starts this long after the previous one started, or when it ends if later (30 min)',
      ).env('ROUND_INTERVAL_MS'),
    )
    .option(
      '--transport <mode>',
      'v2-first (BIP324 v2 to nodes that may take it, v1 fallback), v1 or v2-only',
      process.env.TRANSPORT || 'v2-first',
    )
    .option('--log-level <level>', 'pino log level (to stderr)', 'warn')
    .option('--geoip-asn-db <file>', 'ip2asn-combined.tsv(.gz): store GeoIP/ASN data in node_geo')
    .option('--cloud-asns <file>', 'JSON {"<asn>": "<provider>"} added to the cloud provider table');
  addTimeoutOptions(cmd).action(async (raw: Record<string, unknown>) => {
    const parsed = optsSchema.safeParse(raw);
    if (!parsed.success) {
      const bad = parsed.error.issues.find((i) => i.path[0] === 'roundInterval');
      if (bad)
        throw new UsageError(
          `--round-interval (or ROUND_INTERVAL_MS): expected milliseconds, a whole number from 0 to ${MAX_ROUND_INTERVAL_MS}, got "${String(raw.roundInterval)}"`,
        );
    }
    const o = optsSchema.parse(raw);
    const timers = timersFrom(raw);
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
    const crawler = (() => {
      try {
        return crawlerConfigFrom({
          chain: chain.name,
          allowPrivate: o.allowPrivate,
          cjdnsRoute: o.cjdns,
          proxy: o.proxy,
          proxyOnion: o.proxyOnion,
          proxyI2p: o.proxyI2p,
          proxyCjdns: o.proxyCjdns,
          transport: o.transport,
          ...timers,
        });
      } catch (err) {
        throw (err instanceof ZodError && timerErrorInFlags(err)) || err;
      }
    })();
    const logger = createLogger({ service: 'crawl', level: o.logLevel, destination: process.stderr });
    const controller = new AbortController();
    // The first signal stops the crawl gracefully; a second one ends the process at once.
    const { onStopSignals } = await import('../stop-signals.ts');
    const offSignals = onStopSignals(() => controller.abort());
    const summary = await runLocalCrawl(
      {
        ...(o.redis ? { redisUrl: o.redis } : {}),
        store: o.clickhouse ? { url: o.clickhouse } : { dir: o.store },
        crawler,
        seeder: seederConfigSchema.parse({
          chain: chain.name,
          seeds: o.seed,
          dns: o.dns,
          dnsServers: o.dnsServer,
          ...(o.dnsSeed ? { dnsSeeds: o.dnsSeed } : {}),
          ...(o.roundInterval !== undefined ? { roundIntervalMs: o.roundInterval } : {}),
        }),
        worker: workerConfigSchema.parse({
          concurrency: o.concurrency,
          shutdownGraceMs: 5_000,
          // One process: no other worker can take over a lapsed job, so a short lock buys nothing
          // but re-runs when a busy machine stalls the loop; after a crash, the next run's stalled
          // check returns the jobs within this time.
          lockDurationMs: 30_000,
          stalledIntervalMs: 15_000,
        }),
        ingester: ingesterConfigSchema.parse({
          flushIntervalMs: 1_000,
          // crawl writes its rounds rows itself, when each round ends.
          recordRounds: false,
          geoDb: o.geoipAsnDb,
          cloudAsns: o.cloudAsns,
        }),
        revisit: DEFAULT_REVISIT,
        once: o.once,
        // Without --once each round's summary is a JSON line as it ends (the last one too).
        ...(o.once ? {} : { onRound: (s) => process.stdout.write(`${JSON.stringify(s)}\n`) }),
        ...(o.crawlId ? { crawlId: o.crawlId } : {}),
        progress: (line) => process.stderr.write(`${line}\n`),
        logger,
        logLevel: o.logLevel,
        ...(entry.ingestThreadEntry ? { ingestThreadEntry: entry.ingestThreadEntry } : {}),
      },
      controller.signal,
    );
    offSignals();
    if (o.once) process.stdout.write(`${JSON.stringify(summary)}\n`);
    const read = o.clickhouse ? `--clickhouse ${redactUrl(o.clickhouse)}` : `--store ${o.store}`;
    process.stderr.write(
      `round ${summary.crawlId}: stored in ${summary.store} (bitcrawl report ${read} --round ${summary.crawlId})\n`,
    );
    // A partial round is not a finished one: scripts see it in the status as in the summary.
    if (summary.interrupted) process.exitCode = 130;
    // Nothing answered: a dead network must not look like a successful crawl.
    else if (summary.reachable === 0) {
      process.stderr.write('bitcrawl: no peer reachable: check the network\n');
      process.exitCode = 3;
    }
  });
}
