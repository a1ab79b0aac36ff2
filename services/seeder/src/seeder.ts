import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { KNOBS } from '@bitcrawl/config';
import {
  CHAIN_NAMES,
  CHAINS,
  type ChainName,
  type Endpoint,
  endpointId,
  ProtocolError,
  parseEndpoint,
} from '@bitcrawl/protocol';
import { type CrawlJob, crawlIdSchema, type Frontier, visitJobs } from '@bitcrawl/queue';
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

/** ROUND_INTERVAL_MS's default: 48 rounds a day (see docs/over-time.md). */
export const DEFAULT_ROUND_INTERVAL_MS = KNOBS.roundIntervalMs.default;
export const MAX_ROUND_INTERVAL_MS = KNOBS.roundIntervalMs.max as number;

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
  /**
   * Rounds back to back (crawl without --once, the seeder service): a round starts this long
   * after the previous one started, or when it ends if that is later (ROUND_INTERVAL_MS).
   */
  roundIntervalMs: z.number().int().min(0).max(MAX_ROUND_INTERVAL_MS).default(DEFAULT_ROUND_INTERVAL_MS),
  /** Every address visited this recently is revisited in each round (the seeders' 30 d window). */
  revisitKnownMs: z
    .number()
    .int()
    .min(0)
    .default(30 * 86_400_000),
});
export type SeederConfig = z.output<typeof seederConfigSchema>;

export interface SeedDeps {
  frontier: Frontier;
  crawlQueue: Queue<CrawlJob>;
  logger: Logger;
}

/** What the DNS seeds gave: their addresses, and how many lookups (A and AAAA per name) failed. */
export interface DnsSeedResult {
  endpoints: Endpoint[];
  lookups: number;
  /** Lookups that failed (not "no such record": a timeout, a refused or unreachable server). */
  failed: { name: string; family: 'A' | 'AAAA'; error: string }[];
}

/** Resolves every DNS seed name to endpoints on the chain's default port; failures are counted, not fatal. */
export async function resolveDnsSeeds(config: SeederConfig, logger: Logger): Promise<DnsSeedResult> {
  const names = config.dnsSeeds ?? CHAINS[config.chain].dnsSeeds;
  const resolver = new Resolver({ timeout: config.dnsTimeoutMs, tries: 2 });
  if (config.dnsServers.length > 0) resolver.setServers(config.dnsServers);
  const port = CHAINS[config.chain].defaultPort;
  const result: DnsSeedResult = { endpoints: [], lookups: 0, failed: [] };
  await Promise.all(
    names.map(async (name) => {
      for (const [family, method] of [
        ['A', 'resolve4'],
        ['AAAA', 'resolve6'],
      ] as const) {
        result.lookups++;
        try {
          for (const ip of await resolver[method](name)) result.endpoints.push(parseEndpoint(ip, port));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== 'ENODATA' && code !== 'ENOTFOUND') {
            result.failed.push({ name, family, error: (err as Error).message });
            logger.debug({ name, family, err: (err as Error).message }, 'DNS seed lookup failed');
          }
        }
      }
    }),
  );
  // One line for the lot (a dead network fails every lookup: one line each said nothing more).
  if (result.failed.length > 0)
    logger.warn(
      { failed: result.failed.length, lookups: result.lookups, first: result.failed[0]?.error },
      result.failed.length === result.lookups ? 'every DNS seed lookup failed' : 'DNS seed lookups failed',
    );
  return result;
}

/** Where a round's starting addresses came from. */
export interface SeedSources {
  /** --seed / SEEDS addresses. */
  given: number;
  /** Addresses the DNS seeds gave (0 with DNS off). */
  dns: number;
  /** Bitcoin Core's fixed seeds, used only when DNS and --seed gave nothing. */
  fixed: number;
  /** DNS lookups made, and how many failed (not "no such record"); the first failure's text. */
  dnsLookups: number;
  dnsFailed: number;
  dnsError?: string;
}

/** The round's starting addresses and where they came from (see seedTargets). */
export async function gatherSeeds(
  config: SeederConfig,
  logger: Logger,
): Promise<{ targets: Endpoint[]; sources: SeedSources }> {
  const port = CHAINS[config.chain].defaultPort;
  const given = config.seeds.map((s) => parseEndpoint(s, port, { cjdns: true }));
  const dns = config.dns ? await resolveDnsSeeds(config, logger) : { endpoints: [], lookups: 0, failed: [] };
  let targets = [...given, ...dns.endpoints];
  let fixed = 0;
  if (targets.length === 0 && config.fixedSeedFallback) {
    targets = CHAINS[config.chain].fixedSeeds.map((s) => parseEndpoint(s, port, { cjdns: true }));
    fixed = targets.length;
    logger.warn({ fixed }, "no seeds from DNS or --seed: using Bitcoin Core's fixed seeds");
  }
  const sources: SeedSources = {
    given: given.length,
    dns: dns.endpoints.length,
    fixed,
    dnsLookups: dns.lookups,
    dnsFailed: dns.failed.length,
    ...(dns.failed[0] ? { dnsError: dns.failed[0].error } : {}),
  };
  return { targets, sources };
}

/** The round's starting addresses: --seed list, DNS seeds, and the fixed seeds if both gave nothing. */
export async function seedTargets(config: SeederConfig, logger: Logger): Promise<Endpoint[]> {
  return (await gatherSeeds(config, logger)).targets;
}

/** Starts round `crawlId` from the seeds. Returns how many addresses were enqueued. */
export async function seedRound(
  deps: SeedDeps,
  config: SeederConfig,
  crawlId: string,
): Promise<{ found: number; enqueued: number; sources: SeedSources; byNetwork: Record<string, number> }> {
  crawlIdSchema.parse(crawlId);
  const { targets, sources } = await gatherSeeds(config, deps.logger);
  await deps.frontier.startRound(crawlId);
  const admitted = await deps.frontier.admit(crawlId, targets, { force: true });
  // Seeds admitted by an earlier run of this round that died before enqueueing them go too
  // (job ids de-duplicate the ones that are queued: the same seeds, once each and in one
  // order, make the same jobs, though sources repeat addresses and DNS answers come shuffled).
  const pending = new Map((await deps.frontier.pending(crawlId, targets)).map((a) => [endpointId(a), a]));
  const enqueue = [...pending.keys()].sort().map((id) => pending.get(id) as Endpoint);
  await deps.crawlQueue.addBulk(visitJobs(crawlId, 'seed', enqueue));
  deps.logger.info({ crawlId, found: targets.length, enqueued: admitted.length }, 'round seeded');
  const byNetwork: Record<string, number> = {};
  for (const a of admitted) byNetwork[a.network] = (byNetwork[a.network] ?? 0) + 1;
  await deps.frontier.countSeeds(crawlId, byNetwork);
  return { found: targets.length, enqueued: admitted.length, sources, byNetwork };
}

/** Round ids have one format everywhere (crawl, seeder, stack): see @bitcrawl/queue. */
export { newCrawlId } from '@bitcrawl/queue';

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
  const jobs = visitJobs(crawlId, 'known', admitted);
  for (let i = 0; i < jobs.length; i += 1_000) await deps.crawlQueue.addBulk(jobs.slice(i, i + 1_000));
  return admitted.length;
}
