import type { Observation } from '@bitcrawl/model';
import { type RedisServer, startRedis } from '@bitcrawl/testkit';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobIdFor, OBSERVATION_STREAM, parseJobId } from './contract.ts';
import { Frontier } from './frontier.ts';
import { ObservationStreamReader } from './observation-stream.ts';

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const v4 = (i: number) => ({ network: 'ipv4' as const, host: `10.0.${i >> 8}.${i & 255}`, port: 8333 });
const observation = (
  a: ReturnType<typeof v4>,
  crawlId: string,
  outcome: Observation['outcome'],
): Observation => ({
  ts: Date.now(),
  crawlId,
  ...a,
  outcome,
  error: '',
  peer: null,
  connectMs: 1,
  handshakeMs: 0,
  addrs: [],
});

describe('job ids', () => {
  it('never contain ":" and decode back, for every network', () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.constant('pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion'),
      fc.constant('ukeu3k5oycgaauneqgtnvselmt4yemvoilkln7jpvamvfx7dnkdq.b32.i2p'),
    );
    fc.assert(
      fc.property(
        host,
        fc.integer({ min: 0, max: 65535 }),
        fc.constantFrom('ipv4', 'ipv6', 'onion', 'i2p', 'cjdns' as const),
        (h, port, network) => {
          const id = jobIdFor('r1', { network, host: h, port });
          expect(id).not.toContain(':');
          expect(parseJobId(id)).toEqual({ crawlId: 'r1', network, host: h, port });
        },
      ),
    );
  });
});

describe('frontier', () => {
  it('admits an address once per round, in one batched call', async () => {
    const f = new Frontier(redis);
    const first = await f.admit('a', [v4(1), v4(2), v4(1)]);
    expect(first).toEqual([v4(1), v4(2)]);
    const batch = Array.from({ length: 1000 }, (_, i) => v4(i));
    await f.admit('b', batch.slice(0, 900));
    expect(await f.admit('b', batch)).toHaveLength(100);
  });

  it('records a visit once, appending exactly one stream entry', async () => {
    const f = new Frontier(redis);
    const before = await redis.xlen(OBSERVATION_STREAM);
    await f.admit('c', [v4(5)]);
    expect(await f.record(observation(v4(5), 'c', 'ok'))).toBe(true);
    expect(await f.record(observation(v4(5), 'c', 'ok'))).toBe(false);
    expect(await redis.xlen(OBSERVATION_STREAM)).toBe(before + 1);
    expect(await f.progress('c')).toMatchObject({ seen: 1, visited: 1, ok: 1 });
    expect(await f.pending('c', [v4(5), v4(6)])).toEqual([]);
  });

  it('re-admits reachable addresses after their interval, failing ones with back-off', async () => {
    let now = 1_000_000;
    const f = new Frontier(redis, { reachableMs: 100, failBaseMs: 1000, failMaxMs: 4000 }, () => now);
    const ok = v4(100);
    const bad = v4(101);
    await f.admit('r1', [ok, bad]);
    await f.record(observation(ok, 'r1', 'ok'));
    await f.record(observation(bad, 'r1', 'refused'));
    now += 150;
    expect(await f.admit('r2', [ok, bad])).toEqual([ok]); // failing one not due for 1000 ms
    await f.record(observation(ok, 'r2', 'ok'));
    now += 1000;
    expect(await f.admit('r3', [bad])).toEqual([bad]);
    await f.record(observation(bad, 'r3', 'refused')); // second failure: 2000 ms
    now += 1500;
    expect(await f.admit('r4', [bad])).toEqual([]);
    now += 600;
    expect(await f.admit('r5', [bad])).toEqual([bad]);
    expect(await f.admit('r6', [bad], { force: true })).toEqual([bad]); // seeds given by a user always go
  });
});

describe('observation stream', () => {
  it('re-delivers unacked entries after a restart and dead-letters invalid ones', async () => {
    const f = new Frontier(redis);
    await redis.del(OBSERVATION_STREAM);
    const reader = new ObservationStreamReader(redis, 'c1', {
      batch: 100,
      blockMs: 100,
      claimIdleMs: 60_000,
    });
    await reader.ensureGroup();
    await f.admit('s', [v4(1), v4(2)]);
    await f.record(observation(v4(1), 's', 'ok'));
    await redis.xadd(OBSERVATION_STREAM, '*', 'obs', '{"not":"an observation"}');
    await f.record(observation(v4(2), 's', 'closed'));
    const first = await reader.read();
    expect(first.observations.map((o) => o.host)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(await redis.xlen(`${OBSERVATION_STREAM}:dead`)).toBe(1);
    // the process dies before acking: a new reader with the same name gets them again
    const again = await new ObservationStreamReader(redis, 'c1', {
      batch: 100,
      blockMs: 100,
      claimIdleMs: 60_000,
    }).read();
    expect(again.ids).toEqual(first.ids);
    // another consumer claims them once they are idle long enough
    await new Promise((r) => setTimeout(r, 60));
    const other = await new ObservationStreamReader(redis, 'c2', {
      batch: 100,
      blockMs: 100,
      claimIdleMs: 50,
    }).read();
    expect(other.ids).toEqual(first.ids);
    await reader.ack(other.ids);
    expect(await redis.xlen(OBSERVATION_STREAM)).toBe(0);
  });
});
