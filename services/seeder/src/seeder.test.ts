import { createCrawlQueue, Frontier, parseJobId } from '@bitcrawl/queue';
import { silentLogger } from '@bitcrawl/telemetry';
import { type DnsServer, type RedisServer, startDnsmasq, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seederConfigSchema, seedRound, seedTargets } from './seeder.ts';

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
    expect(targets.length).toBeGreaterThan(100);
    expect(new Set(targets.map((t) => t.network))).toEqual(new Set(['ipv4', 'ipv6', 'i2p', 'cjdns']));
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
      expect(await seedRound(deps, config, 'seedtest')).toEqual({ found: 5, enqueued: 4 });
      expect(await seedRound(deps, config, 'seedtest')).toEqual({ found: 5, enqueued: 0 });
      const jobs = await crawlQueue.getJobs(['waiting']);
      expect(jobs.map((j) => parseJobId(j.id ?? '').host).sort()).toEqual([
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
