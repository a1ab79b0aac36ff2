import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  CHAIN_NAMES,
  CHAINS,
  type ChainName,
  type Endpoint,
  ProtocolError,
  parseEndpoint,
} from '@bitcrawl/protocol';
import { type CrawlJob, crawlIdSchema, type Frontier, jobIdFor } from '@bitcrawl/queue';
import type { Logger } from '@bitcrawl/telemetry';
import type { Queue } from 'bullmq';
import { z } from 'zod';

/** An address the seeder can parse (the port is optional: the chain's default is used). */
function seedSchema() {
  return z.string().superRefine((text, ctx) => {
    try {
      parseEndpoint(text, 8333, { cjdns: true });
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      ctx.addIssue({ code: 'custom', message: `bad seed "${text}": ${err.message}` });
    }
  });
}

/**
 * What Resolver.setServers takes: an IP literal, optionally with a port (IPv6 in brackets then).
 * Checked with the config, so a typo is a configuration error at start, not a failed reseed
 * every time (and an out-of-range port is refused, not wrapped modulo 65536 by the resolver).
 */
function dnsServerSchema() {
  return z.string().superRefine((s, ctx) => {
    const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s) ?? /^([^:]+):(\d{1,5})$/.exec(s);
    const [ip, port] = m ? [m[1] as string, Number(m[2])] : [s, 53];
    if (isIP(ip) === 0 || port < 1 || port > 65535)
      ctx.addIssue({
        code: 'custom',
        message: `bad DNS server "${s}" (expected an IP address, ip:port, or [ipv6]:port)`,
      });
  });
}

export const seederConfigSchema = z.object({
  chain: z.enum(CHAIN_NAMES as [ChainName, ...ChainName[]]).default('mainnet'),
  /** Extra "host:port" seeds, always used; checked here so a typo fails at start, not mid-round. */
  seeds: z.array(seedSchema()).default([]),
  /** Resolve the chain's DNS seeds (A and AAAA). */
  dns: z.boolean().default(true),
  /** Override the chain's DNS seed names (e.g. a private seeder). */
  dnsSeeds: z.array(z.string()).optional(),
  /** DNS servers to ask instead of the system resolver: "ip", "ip:port" or "[ipv6]:port". */
  dnsServers: z.array(dnsServerSchema()).default([]),
  dnsTimeoutMs: z.number().int().positive().default(5_000),
  /** Use the chain's fixed seeds when DNS and --seed give nothing. */
  fixedSeedFallback: z.boolean().default(true),
  /** A new round starts this often (BullMQ job scheduler); 0 = never. */
  reseedEveryMs: z
    .number()
    .int()
    .min(0)
    .default(6 * 3_600_000),
});
export type SeederConfig = z.output<typeof seederConfigSchema>;

export interface SeedDeps {
  frontier: Frontier;
  crawlQueue: Queue<CrawlJob>;
  logger: Logger;
}

/** Resolves every DNS seed name to endpoints on the chain's default port; failures are logged, not fatal. */
export async function resolveDnsSeeds(config: SeederConfig, logger: Logger): Promise<Endpoint[]> {
  const names = config.dnsSeeds ?? CHAINS[config.chain].dnsSeeds;
  const resolver = new Resolver({ timeout: config.dnsTimeoutMs, tries: 2 });
  if (config.dnsServers.length > 0) resolver.setServers(config.dnsServers);
  const port = CHAINS[config.chain].defaultPort;
  const out: Endpoint[] = [];
  await Promise.all(
    names.map(async (name) => {
      for (const family of ['resolve4', 'resolve6'] as const) {
        try {
          for (const ip of await resolver[family](name)) out.push(parseEndpoint(ip, port));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'ENODATA' && code !== 'ENOTFOUND')
            logger.warn({ name, family, err: (err as Error).message }, 'DNS seed lookup failed');
        }
      }
    }),
  );
  return out;
}

/** The round's starting addresses: --seed list, DNS seeds, and the fixed seeds if both gave nothing. */
export async function seedTargets(config: SeederConfig, logger: Logger): Promise<Endpoint[]> {
  const port = CHAINS[config.chain].defaultPort;
  const given = config.seeds.map((s) => parseEndpoint(s, port, { cjdns: true }));
  const dns = config.dns ? await resolveDnsSeeds(config, logger) : [];
  let targets = [...given, ...dns];
  if (targets.length === 0 && config.fixedSeedFallback) {
    logger.info('no seeds from DNS or --seed: using the fixed seeds');
    targets = CHAINS[config.chain].fixedSeeds.map((s) => parseEndpoint(s, port, { cjdns: true }));
  }
  return targets;
}

/** Starts round `crawlId` from the seeds. Returns how many addresses were enqueued. */
export async function seedRound(
  deps: SeedDeps,
  config: SeederConfig,
  crawlId: string,
): Promise<{ found: number; enqueued: number; byNetwork: Record<string, number> }> {
  crawlIdSchema.parse(crawlId);
  const targets = await seedTargets(config, deps.logger);
  await deps.frontier.startRound(crawlId);
  const admitted = await deps.frontier.admit(crawlId, targets, { force: true });
  // Seeds admitted by an earlier run of this round that died before enqueueing them go too
  // (job ids de-duplicate the ones that are queued).
  const enqueue = await deps.frontier.pending(crawlId, targets);
  await deps.crawlQueue.addBulk(
    enqueue.map((a) => ({
      name: 'visit',
      data: { crawlId, network: a.network, host: a.host, port: a.port, source: 'seed' },
      opts: { jobId: jobIdFor(crawlId, a) },
    })),
  );
  deps.logger.info({ crawlId, found: targets.length, enqueued: admitted.length }, 'round seeded');
  const byNetwork: Record<string, number> = {};
  for (const a of admitted) byNetwork[a.network] = (byNetwork[a.network] ?? 0) + 1;
  return { found: targets.length, enqueued: admitted.length, byNetwork };
}

export function newCrawlId(now = Date.now()): string {
  return `r${new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}`;
}

/**
 * Adds addresses the crawl already knows (visited within the revisit horizon, read from the
 * store) to a started round, admitted like seeds (due or not: every known address is revisited
 * in every round) and enqueued. Call in pages; returns how many were new to the round.
 */
export async function seedKnown(
  deps: SeedDeps,
  crawlId: string,
  addrs: readonly Endpoint[],
): Promise<number> {
  crawlIdSchema.parse(crawlId);
  const admitted = await deps.frontier.admit(crawlId, addrs, { force: true });
  for (let i = 0; i < admitted.length; i += 10_000) {
    await deps.crawlQueue.addBulk(
      admitted.slice(i, i + 10_000).map((a) => ({
        name: 'visit',
        data: { crawlId, network: a.network, host: a.host, port: a.port, source: 'known' },
        opts: { jobId: jobIdFor(crawlId, a) },
      })),
    );
  }
  return admitted.length;
}
