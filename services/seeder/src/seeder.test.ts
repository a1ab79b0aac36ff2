import { CHAINS } from '@bitcrawl/protocol';
import { createCrawlQueue, Frontier, parseJobId } from '@bitcrawl/queue';
import { silentLogger } from '@bitcrawl/telemetry';
import {
  budget,
  type DnsServer,
  freePort,
  type RedisServer,
  startDnsmasq,
  startRedis,
} from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gatherSeeds, seederConfigSchema, seedRound, seedTargets } from './seeder.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(30_000) });

let dns: DnsServer;
let redis: RedisServer;
beforeAll(async () => {
  [dns, redis] = await Promise.all([
    startDnsmasq({ 'seed.one.test': ['127.0.5.1', '127.0.5.2', '::1'], 'seed.two.test': ['127.0.5.3'] }),
    startRedis(),
  ]);
});
afterAll(async () => {
  await dns?.stop();
  await redis?.stop();
});

const logger = silentLogger();

describe('seeder', () => {
  it('refuses a --seed it cannot parse when the config is read, naming it', () => {
    expect(
      seederConfigSchema.parse({ seeds: ['127.1.0.1', '[::1]:18444', `${'a'.repeat(52)}.b32.i2p`] }).seeds,
    ).toHaveLength(3);
    const bad = seederConfigSchema.safeParse({ seeds: ['127.1.0.1:8333', 'seed.example.org'] });
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['seeds.1', expect.stringMatching(/^bad seed "seed\.example\.org": not an IPv4/)],
    ]);
  });

  it('refuses a DNS server that is not an IP address with an optional port, naming it', () => {
    const ok = ['127.0.0.1', '127.0.0.1:5353', '::1', '[::1]:5353', '2001:db8::53'];
    expect(seederConfigSchema.parse({ dnsServers: ok }).dnsServers).toEqual(ok);
    const bad = seederConfigSchema.safeParse({
      dnsServers: ['nonsense', '127.0.0.1:99999', '127.0.0.1:0', 'dns.example.org:53', '::1:99999x'],
    });
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual([
      'dnsServers.0',
      'dnsServers.1',
      'dnsServers.2',
      'dnsServers.3',
      'dnsServers.4',
    ]);
    expect(bad.error?.issues[1]?.message).toBe(
      'bad DNS server "127.0.0.1:99999" (expected an IP address, ip:port, or [ipv6]:port)',
    );
  });

  it('resolves A and AAAA records of every DNS seed through the configured server', async () => {
    const config = seederConfigSchema.parse({
      chain: 'regtest',
      dnsSeeds: ['seed.one.test', 'seed.two.test', 'seed.missing.test'],
      dnsServers: [dns.server],
    });
    const targets = await seedTargets(config, logger);
    expect(targets.map((t) => `${t.network} ${t.host} ${t.port}`).sort()).toEqual([
      'ipv4 127.0.5.1 18444',
      'ipv4 127.0.5.2 18444',
      'ipv4 127.0.5.3 18444',
      'ipv6 ::1 18444',
    ]);
  });

  it('falls back to the fixed seeds when DNS and --seed give nothing', async () => {
    const config = seederConfigSchema.parse({
      chain: 'mainnet',
      dnsSeeds: ['seed.missing.test'],
      dnsServers: [dns.server],
    });
    const targets = await seedTargets(config, logger);
    expect(targets.length).toBe(CHAINS.mainnet.fixedSeeds.length);
    expect(new Set(targets.map((t) => t.network))).toEqual(
      new Set(['ipv4', 'ipv6', 'i2p', 'cjdns', 'onion']),
    );
  });

  it('says where the seeds came from: every DNS lookup failed (no network), so the fixed seeds', async () => {
    // Finding 3 of issue 17: a dead network printed one JSON line per failed lookup, then
    // "2056 seed addresses enqueued", nothing saying these were the fixed seeds.
    const dead = await freePort(); // nothing answers DNS there
    const config = seederConfigSchema.parse({
      chain: 'mainnet',
      dnsServers: [`127.0.0.1:${dead}`],
      dnsTimeoutMs: 500,
    });
    const { targets, sources } = await gatherSeeds(config, logger);
    expect(sources).toMatchObject({
      given: 0,
      dns: 0,
      fixed: CHAINS.mainnet.fixedSeeds.length,
      dnsLookups: CHAINS.mainnet.dnsSeeds.length * 2,
      dnsFailed: CHAINS.mainnet.dnsSeeds.length * 2,
    });
    expect(sources.dnsError).toBeTruthy();
    expect(targets).toHaveLength(CHAINS.mainnet.fixedSeeds.length);
    // --seed addresses mean no fixed seeds.
    const some = await gatherSeeds(
      seederConfigSchema.parse({
        chain: 'regtest',
        seeds: ['127.0.5.9'],
        dnsSeeds: ['seed.missing.test'],
        dnsServers: [dns.server],
      }),
      logger,
    );
    expect(some.sources).toMatchObject({ given: 1, dns: 0, fixed: 0, dnsLookups: 2 });
  });

  it("uses testnet4's and signet's fixed seeds, with their ports", async () => {
    for (const chain of ['testnet4', 'signet'] as const) {
      const config = seederConfigSchema.parse({
        chain,
        dnsSeeds: ['seed.missing.test'],
        dnsServers: [dns.server],
      });
      const targets = await seedTargets(config, logger);
      expect(targets.length).toBeGreaterThan(100);
      const ipPorts = new Set(targets.filter((t) => t.network === 'ipv4').map((t) => t.port));
      expect([...ipPorts]).toEqual([CHAINS[chain].defaultPort]);
    }
  });

  it('enqueues --seed addresses and DNS results once for the round', async () => {
    const bull = new Redis(redis.url, { maxRetriesPerRequest: null });
    const conn = new Redis(redis.url);
    const crawlQueue = createCrawlQueue(bull);
    try {
      const config = seederConfigSchema.parse({
        chain: 'regtest',
        seeds: ['127.0.5.1:18444', '[::1]:19000'],
        dnsSeeds: ['seed.one.test'],
        dnsServers: [dns.server],
      });
      const deps = { frontier: new Frontier(conn), crawlQueue, logger };
      expect(await seedRound(deps, config, 'seedtest')).toMatchObject({ found: 5, enqueued: 4 });
      expect(await seedRound(deps, config, 'seedtest')).toMatchObject({ found: 5, enqueued: 0 });
      // Seeded again, the same addresses make the same job (its id names its first address).
      const jobs = await crawlQueue.getJobs(['waiting']);
      expect(jobs.map((j) => parseJobId(j.id ?? '').crawlId)).toEqual(['seedtest']);
      expect(jobs.flatMap((j) => j.data.targets.map((t) => t.host)).sort()).toEqual([
        '127.0.5.1',
        '127.0.5.2',
        '::1',
        '::1',
      ]);
    } finally {
      await crawlQueue.close();
      bull.disconnect();
      conn.disconnect();
    }
  });
});
