import type { Observation } from '@bitcrawl/model';
import { Frontier, ingestBacklog } from '@bitcrawl/queue';
import { migrate, openStore, queryRows, type Store } from '@bitcrawl/storage';
import { silentLogger } from '@bitcrawl/telemetry';
import { type ClickHouseServer, type RedisServer, startClickHouse, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingesterConfigSchema, startIngester } from './ingester.ts';

let redis: RedisServer;
let ch: ClickHouseServer;
let store: Store;
beforeAll(async () => {
  [redis, ch] = await Promise.all([startRedis(), startClickHouse()]);
  store = await openStore({ url: ch.url });
  await migrate(store);
}, 90_000);
afterAll(async () => {
  await store?.close();
  await Promise.all([redis?.stop(), ch?.stop()]);
});

const obs = (i: number): Observation => ({
  ts: Date.now(),
  crawlId: 'outage',
  network: 'ipv4',
  host: `10.9.${i >> 8}.${i & 255}`,
  port: 8333,
  outcome: 'refused',
  error: 'ECONNREFUSED',
  peer: null,
  connectMs: 1,
  handshakeMs: 0,
  addrs: [],
});

const count = async () =>
  Number(
    (
      await queryRows<{ n: string }>(
        store,
        `SELECT count() AS n FROM observations FINAL WHERE crawl_id = 'outage'`,
      )
    )[0]?.n,
  );
const until = async (cond: () => Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('ingester', () => {
  it('loses nothing while clickhouse-server is down, and writes it all once it is back', async () => {
    const conn = new Redis(redis.url);
    const frontier = new Frontier(conn);
    const ingester = startIngester(
      { redis: conn, store, logger: silentLogger() },
      ingesterConfigSchema.parse({ batchSize: 100, flushIntervalMs: 200, consumer: 'i1' }),
    );
    try {
      for (let i = 0; i < 150; i++) await frontier.record(obs(i));
      await until(async () => (await count()) === 150, 20_000);
      await ch.kill(); // outage: inserts fail, nothing is acked
      for (let i = 150; i < 400; i++) await frontier.record(obs(i));
      await new Promise((r) => setTimeout(r, 2000));
      expect(await ingestBacklog(conn)).toBe(250);
      await ch.start();
      await until(async () => (await ingestBacklog(conn)) === 0, 60_000);
      expect(await count()).toBe(400);
    } finally {
      await ingester.stop();
      conn.disconnect();
    }
  }, 120_000);
});
