import type { Observation } from '@bitcrawl/model';
import { EMPTY_PACKED } from '@bitcrawl/protocol';
import {
  Frontier,
  ingestBacklog,
  OBSERVATION_STREAM,
  pushRoundEnded,
  ROUNDS_ENDED_KEY,
} from '@bitcrawl/queue';
import { migrate, openStore, queryRows, readRounds, type Store } from '@bitcrawl/storage';
import { createLogger, createMetrics, silentLogger } from '@bitcrawl/telemetry';
import {
  budget,
  type ClickHouseServer,
  type RedisServer,
  startClickHouse,
  startRedis,
} from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IngesterError, ingesterConfigSchema, startIngester } from './ingester.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(120_000) });

let redis: RedisServer;
let ch: ClickHouseServer;
let store: Store;
beforeAll(async () => {
  [redis, ch] = await Promise.all([startRedis(), startClickHouse()]);
  store = await openStore({ url: ch.url });
  await migrate(store);
}, budget(90_000));
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
  addrs: EMPTY_PACKED,
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
  it("writes the rounds rows of each round the seeder noted as ended, from the round's stored visits", async () => {
    const conn = new Redis(redis.url);
    const frontier = new Frontier(conn);
    const ingester = startIngester(
      { redis: conn, store, logger: silentLogger() },
      ingesterConfigSchema.parse({ batchSize: 100, flushIntervalMs: 200, consumer: 'i-rounds' }),
    );
    try {
      const ok = (i: number): Observation => ({ ...obs(i), crawlId: 'noted', outcome: 'ok', error: '' });
      for (let i = 0; i < 5; i++) await frontier.record(i < 3 ? ok(i) : { ...obs(i), crawlId: 'noted' });
      await until(async () => (await ingestBacklog(conn)) === 0, 20_000);
      await conn.rpush(ROUNDS_ENDED_KEY, '{"not": "a note"}');
      const note = {
        crawlId: 'noted',
        started: 1_800_000_000_000,
        finished: 1_800_000_060_000,
        seedsByNetwork: { ipv4: 2, onion: 1 },
        failedByNetwork: { onion: 1 },
        interrupted: false,
      };
      await pushRoundEnded(conn, note);
      await until(async () => (await conn.llen(ROUNDS_ENDED_KEY)) === 0, 20_000);
      const rows = (await readRounds(store)).filter((r) => r.crawlId === 'noted');
      expect(rows).toEqual(
        [
          { ...note, network: 'ipv4', seeds: 2, visited: 5, reachable: 3, failedVisits: 0 },
          { ...note, network: 'onion', seeds: 1, visited: 0, reachable: 0, failedVisits: 1 },
        ].map(({ seedsByNetwork: _s, failedByNetwork: _f, ...r }) => r),
      );
    } finally {
      await ingester.stop();
      conn.disconnect();
    }
  });

  it('loses nothing while clickhouse-server is down, and writes it all once it is back', async () => {
    const conn = new Redis(redis.url);
    const frontier = new Frontier(conn);
    const ingester = startIngester(
      { redis: conn, store, logger: silentLogger() },
      ingesterConfigSchema.parse({ batchSize: 100, flushIntervalMs: 200, consumer: 'i1' }),
    );
    try {
      for (let i = 0; i < 150; i++) await frontier.record(obs(i));
      await until(async () => (await count()) === 150, budget(20_000));
      await ch.kill(); // outage: inserts fail, nothing is acked
      for (let i = 150; i < 400; i++) await frontier.record(obs(i));
      await new Promise((r) => setTimeout(r, 2000));
      expect(await ingestBacklog(conn)).toBe(250);
      await ch.start();
      await until(async () => (await ingestBacklog(conn)) === 0, budget(60_000));
      expect(await count()).toBe(400);
    } finally {
      await ingester.stop();
      conn.disconnect();
    }
  });

  it('sets a row ClickHouse refuses aside as a dead letter; the rest of its batch is stored and acked', async () => {
    const conn = new Redis(redis.url);
    const frontier = new Frontier(conn);
    // The real store, but a batch holding this host is refused with the error a real 18.16
    // gives for half a surrogate pair (the writer now cleans that up, so no Observation that
    // passes the contract still makes the engine refuse a row: this stands in for the unknown one).
    const poison = '198.51.100.66';
    const refusing: Store = {
      ...store,
      client: new Proxy(store.client, {
        get(target, prop, receiver) {
          if (prop !== 'insert') return Reflect.get(target, prop, receiver);
          return async (params: Parameters<Store['client']['insert']>[0]) => {
            if (JSON.stringify(params.values).includes(poison))
              throw new Error(
                'Code: 25, e.displayText() = DB::Exception: Cannot parse escape sequence: missing second part of surrogate pair',
              );
            return target.insert(params);
          };
        },
      }),
    };
    const ingester = startIngester(
      { redis: conn, store: refusing, logger: silentLogger() },
      ingesterConfigSchema.parse({ batchSize: 100, flushIntervalMs: 200, consumer: 'i-refuse' }),
    );
    const row = (i: number) => ({ ...obs(i), crawlId: 'refused-row' });
    try {
      for (let i = 0; i < 30; i++) await frontier.record(i === 13 ? { ...row(i), host: poison } : row(i));
      await until(async () => (await ingestBacklog(conn)) === 0, budget(20_000));
      const [n] = await queryRows<{ n: string }>(
        store,
        `SELECT count() AS n FROM observations FINAL WHERE crawl_id = 'refused-row'`,
      );
      expect(Number(n?.n)).toBe(29);
      const dead = (await conn.xrange('bitcrawl:observations:dead', '-', '+')) as [string, string[]][];
      const mine = dead.map(([, f]) => f).filter((f) => (f[f.indexOf('obs') + 1] ?? '').includes(poison));
      expect(mine).toHaveLength(1);
      expect(mine[0]?.[mine[0].indexOf('error') + 1]).toMatch(/^ClickHouse refused the row: Code: 25/);
    } finally {
      await ingester.stop();
      conn.disconnect();
    }
  });

  it('waits out a Redis outage and carries on; counts and logs dead letters', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-ingester-redis-'));
    let own = await startRedis({ appendonly: true, dir });
    // fail fast while Redis is down, so the ingester sees the errors instead of ioredis hiding them
    const conn = new Redis(own.url, { maxRetriesPerRequest: 1 });
    conn.on('error', () => {});
    const frontier = new Frontier(conn);
    const metrics = createMetrics({ service: 't', defaultMetrics: false });
    const { PassThrough } = await import('node:stream');
    const logs: string[] = [];
    const destination = new PassThrough();
    destination.on('data', (b: Buffer) => logs.push(b.toString()));
    const ingester = startIngester(
      { redis: conn, store, logger: createLogger({ service: 't', destination }), metrics },
      ingesterConfigSchema.parse({ batchSize: 100, flushIntervalMs: 200, consumer: 'i2' }),
    );
    let died: unknown;
    ingester.stopped.catch((err: unknown) => {
      died = err;
    });
    const rows = (i: number) => ({ ...obs(i), crawlId: 'redis-outage' });
    const stored = async () =>
      Number(
        (
          await queryRows<{ n: string }>(
            store,
            `SELECT count() AS n FROM observations FINAL WHERE crawl_id = 'redis-outage'`,
          )
        )[0]?.n,
      );
    try {
      for (let i = 0; i < 50; i++) await frontier.record(rows(i));
      await conn.xadd(OBSERVATION_STREAM, '*', 'obs', '{"bad":true}');
      await until(async () => (await stored()) === 50, budget(20_000));
      await until(async () => (await metrics.ingestDead.get()).values[0]?.value === 1, budget(5_000));
      await own.stop();
      await new Promise((r) => setTimeout(r, 2500)); // reads fail meanwhile
      own = await startRedis({ appendonly: true, dir, port: own.port });
      for (let i = 50; i < 120; i++) await frontier.record(rows(i));
      await until(async () => (await stored()) === 120, budget(30_000));
      expect(died).toBeUndefined();
      expect(logs.join('')).toMatch(/reading the stream failed; will retry/);
      expect(logs.join('')).toMatch(/"reason":.*dead-letter stream/);
    } finally {
      await ingester.stop().catch(() => {});
      conn.disconnect();
      await own.stop();
    }
  });

  it('stops with an IngesterError on a Redis error that retrying cannot fix', async () => {
    const conn = new Redis(redis.url);
    const ingester = startIngester(
      { redis: conn, store, logger: silentLogger() },
      ingesterConfigSchema.parse({ batchSize: 100, flushIntervalMs: 200, consumer: 'i3' }),
    );
    try {
      await new Promise((r) => setTimeout(r, 300));
      await conn.del(OBSERVATION_STREAM);
      await conn.set(OBSERVATION_STREAM, 'not a stream'); // WRONGTYPE from now on
      await expect(ingester.stopped).rejects.toBeInstanceOf(IngesterError);
    } finally {
      await conn.del(OBSERVATION_STREAM);
      conn.disconnect();
    }
  });
});

describe('ingester config', () => {
  it('refuses a claim timeout that would take entries back from its own unflushed buffer', () => {
    const r = ingesterConfigSchema.safeParse({ flushIntervalMs: 30_000, claimIdleMs: 40_000 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]).toMatchObject({
      path: ['claimIdleMs'],
      message: /CLAIM_IDLE_MS .* FLUSH_INTERVAL_MS/,
    });
    expect(ingesterConfigSchema.safeParse({ flushIntervalMs: 2_000, claimIdleMs: 60_000 }).success).toBe(
      true,
    );
  });
});
