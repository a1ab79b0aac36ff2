import { type Endpoint, endpointKey } from '@bitcrawl/protocol';
import { type RedisServer, startRedis } from '@bitcrawl/testkit';
import { UnrecoverableError, Worker } from 'bullmq';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRAWL_QUEUE, jobIdFor, OBSERVATION_STREAM, PREFIX, parseJobId, visitJobs } from './contract.ts';
import { DEFAULT_REVISIT, Frontier, roundTtlMsFor } from './frontier.ts';
import { observation } from './observation.test-util.ts';
import { ObservationStreamReader } from './observation-stream.ts';
import { createCrawlQueue, failedJobsByNetwork, JOB_RETENTION, requeueLost } from './queues.ts';

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

const until = async (cond: () => Promise<boolean>) => {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 50));
};
const v4 = (i: number) => ({ network: 'ipv4' as const, host: `10.0.${i >> 8}.${i & 255}`, port: 8333 });
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
    // The ids jobs already queued carry: unchanged by the move to protocol's endpointId.
    expect(jobIdFor('r20261206T071200Z', { network: 'ipv6', host: '2001:db8::1', port: 8333 })).toBe(
      'r20261206T071200Z|ipv6|2001!db8!!1|8333',
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

  it('knownSince lists the addresses last visited since then (from the next visit less its delay), and prune keeps them keepKnownMs', async () => {
    let now = 50_000_000;
    const policy = { reachableMs: 100, failBaseMs: 1000, failMaxMs: 4000, keepKnownMs: 20_000 };
    const f = new Frontier(redis, policy, () => now);
    const [early, failedTwice, late] = [v4(700), v4(701), v4(702)];
    const mine = new Set([early, failedTwice, late].map((a) => a.host));
    const known = async (since: number) => {
      const out: string[] = [];
      for await (const page of f.knownSince(since))
        for (const a of page) if (mine.has(a.host)) out.push(a.host);
      return out.sort();
    };
    await f.record(observation(early, 'k1', 'ok'));
    await f.record(observation(failedTwice, 'k1', 'refused'));
    now += 10;
    await f.record(observation(failedTwice, 'k2', 'refused')); // back-off 2000 ms, visited at +10
    now += 10;
    await f.record(observation(late, 'k2', 'ok'));
    expect(await known(50_000_000)).toEqual([early.host, failedTwice.host, late.host].sort());
    expect(await known(50_000_010)).toEqual([failedTwice.host, late.host].sort());
    expect(await known(50_000_011)).toEqual([late.host]);
    // Past failMaxMs but within keepKnownMs: kept; past both: pruned.
    now += 10_000;
    await f.prune();
    expect(await known(0)).toHaveLength(3);
    now += 20_000;
    await f.prune();
    expect(await known(0)).toEqual([]);
  });
});

describe('gossip caps', () => {
  it('one source adds at most perSource new addresses to a round; what it left out others may add', async () => {
    const f = new Frontier(redis, { ...DEFAULT_REVISIT, gossipCaps: { perSource: 3 } });
    const a = (i: number) => v4(60_000 + i); // addresses no other test visits (revisit times are global)
    await f.admit('gc1', [a(2)]);
    const answer = [a(2), a(3), a(4), a(5), a(6), a(7)]; // 2 seen already: 5 new
    const r = await f.commit(observation(a(1), 'gc1', 'ok', answer));
    expect(r.enqueue.map((e) => e.host)).toEqual([a(3).host, a(4).host, a(5).host]);
    expect(r.capped).toBe(2);
    const other = await f.commit(observation(a(3), 'gc1', 'ok', answer));
    expect(other.enqueue.map((e) => e.host)).toEqual([a(6).host, a(7).host]);
    expect(other.capped).toBeUndefined();
  });

  it('a host takes at most perHost endpoint slots a round; the same endpoint may claim again', async () => {
    const f = new Frontier(redis, { ...DEFAULT_REVISIT, gossipCaps: { perHost: 8 } });
    const host = (port: number) => ({ network: 'ipv4' as const, host: '203.0.113.9', port });
    const claimed = async (crawlId: string, target: Endpoint) => {
      const r = await f.begin(crawlId, target, true);
      if (r.recorded) throw new Error('recorded');
      return r.claimed;
    };
    const claims = [];
    for (let port = 1; port <= 250; port++) claims.push(await claimed('gc2', host(port)));
    expect(claims.filter(Boolean)).toHaveLength(8);
    expect(claims.slice(0, 8).every(Boolean)).toBe(true);
    expect(await claimed('gc2', host(3))).toBe(true); // redelivered
    expect(await claimed('gc2', host(251))).toBe(false);
    // Another host, another network with the same bytes, and another round are counted apart.
    expect(await claimed('gc2', { network: 'ipv4', host: '203.0.113.10', port: 251 })).toBe(true);
    expect(await claimed('gc2', { network: 'ipv6', host: '2001:db8::9', port: 251 })).toBe(true);
    expect(await claimed('gc3', host(251))).toBe(true);
    expect(new Frontier(redis).caps).toEqual({ perHost: 8, perSource: 1000 });
  });

  it('begin claims a slot only when asked, and only for a target not yet recorded', async () => {
    const f = new Frontier(redis, { ...DEFAULT_REVISIT, gossipCaps: { perHost: 3 } });
    const host = (port: number) => ({ network: 'ipv4' as const, host: '203.0.113.20', port });
    const open = (claimed: boolean) => ({ recorded: false, enqueue: [], claimed });
    expect(await f.begin('gc4', host(1), true)).toEqual(open(true));
    expect(await f.begin('gc4', host(2), true)).toEqual(open(true));
    expect(await f.begin('gc4', host(3))).toEqual(open(true)); // not asked: takes no slot
    // A recorded target hands its outbox over and claims nothing.
    await f.record(observation(host(5), 'gc4', 'ok', []));
    expect(await f.begin('gc4', host(5), true)).toEqual({ recorded: true, enqueue: [] });
    expect(await f.begin('gc4', host(4), true)).toEqual(open(true)); // the third slot was still free
    expect(await f.begin('gc4', host(6), true)).toEqual(open(false));
    expect(await f.begin('gc4', host(1), true)).toEqual(open(true)); // redelivered
  });
});

describe('frontier crash recovery', () => {
  it('commit admits the answer in the same call that records the visit', async () => {
    const f = new Frontier(redis);
    await f.admit('cm', [v4(300), v4(302)]);
    const r = await f.commit(observation(v4(300), 'cm', 'ok', [v4(301), v4(302), v4(300), v4(303)]));
    // 302 was seen already and 300 is the visit itself: only the two new ones, with their services
    expect(r).toEqual({
      recorded: true,
      enqueue: [
        { ...v4(301), services: 9n },
        { ...v4(303), services: 9n },
      ],
    });
    expect(await f.progress('cm')).toMatchObject({ seen: 4, visited: 1, ok: 1 });
  });

  it('a visit that died between commit and enqueue hands its admissions over when redelivered', async () => {
    const f = new Frontier(redis);
    const src = v4(200);
    await f.admit('o1', [src]);
    // first attempt: the node answered x, y; recorded and admitted, then the worker died before addBulk
    const first = await f.commit(observation(src, 'o1', 'ok', [v4(201), v4(202)]));
    expect(first.enqueue.map((a) => a.host)).toEqual(['10.0.0.201', '10.0.0.202']);
    // another node's visit of x completes meanwhile
    await f.record(observation(v4(201), 'o1', 'ok'));
    // redelivered: begin finds the visit recorded and hands back what is still unvisited
    expect(await f.begin('o1', src)).toEqual({ recorded: true, enqueue: [v4(202)] });
    // a twin that visited too records nothing and hands back the same
    expect(await f.commit(observation(src, 'o1', 'ok', [v4(203)]))).toEqual({
      recorded: false,
      enqueue: [v4(202)],
    });
    await f.clearOutbox('o1', src);
    expect(await f.begin('o1', src)).toEqual({ recorded: true, enqueue: [] });
    expect(await f.begin('o1', v4(202))).toEqual({ recorded: false, enqueue: [], claimed: true });
  });

  it('requeueLost adds a job for every seen, unvisited address that has none', async () => {
    const bull = new Redis(server.url, { maxRetriesPerRequest: null });
    const queue = createCrawlQueue(bull);
    try {
      const f = new Frontier(redis);
      const addrs = Array.from({ length: 2500 }, (_, i) => v4(3000 + i));
      await f.admit('lost', addrs);
      await f.admit('lost', [v4(9000)]);
      await f.record(observation(v4(9000), 'lost', 'ok'));
      await queue.addBulk(visitJobs('lost', 'seed', addrs.slice(0, 1)));
      expect(await requeueLost({ frontier: f, crawlQueue: queue, redis }, 'lost')).toEqual({
        added: 2499,
        withJob: 1,
      });
      expect(await queue.getJobCountByTypes('waiting')).toBe(2500);
      expect(await requeueLost({ frontier: f, crawlQueue: queue, redis }, 'lost')).toEqual({
        added: 0,
        withJob: 2500,
      });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      bull.disconnect();
    }
  });
});

describe('failed jobs', () => {
  it('count each address once, by network, whatever jobs it failed in', async () => {
    const bull = new Redis(server.url, { maxRetriesPerRequest: null });
    const queue = createCrawlQueue(bull);
    const v6 = { network: 'ipv6' as const, host: '2001:db8::7', port: 8333 };
    const worker = new Worker(
      CRAWL_QUEUE,
      async () => {
        throw new UnrecoverableError('the test fails it');
      },
      { connection: new Redis(server.url, { maxRetriesPerRequest: null }), prefix: PREFIX },
    );
    try {
      // A job of three; two of them failed again in a job each (requeueLost); a job of the old
      // shape; and a job of another round.
      await queue.addBulk([
        ...visitJobs('fj', 'gossip', [v4(1), v4(2), v6]),
        ...visitJobs('fj', 'requeue', [v4(2), v6], 1),
        { name: 'visit', data: { crawlId: 'fj', ...v4(3), port: 70_000 } as never, opts: { jobId: 'old' } },
        ...visitJobs('other', 'seed', [v4(4)]),
      ]);
      await until(async () => (await queue.getFailedCount()) === 5);
      expect(await failedJobsByNetwork(queue, 'fj')).toEqual({ ipv4: 3, ipv6: 1 });
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      bull.disconnect();
    }
  });
});

describe('job retention', () => {
  it('the worker keeps the last JOB_RETENTION completed jobs, and no job stores the rule', async () => {
    const bull = new Redis(server.url, { maxRetriesPerRequest: null });
    const queue = createCrawlQueue(bull);
    const kept = JOB_RETENTION.removeOnComplete.count;
    const worker = new Worker(CRAWL_QUEUE, async () => ['ok'], {
      connection: new Redis(server.url, { maxRetriesPerRequest: null }),
      prefix: PREFIX,
      concurrency: 10,
      ...JOB_RETENTION,
    });
    try {
      const targets = Array.from({ length: kept + 50 }, (_, i) => v4(1000 + i));
      const jobs = visitJobs('keep', 'seed', targets, 1);
      await queue.addBulk(jobs);
      const first = await bull.hget(queue.toKey(jobs[0]?.opts.jobId as string), 'opts');
      expect(JSON.parse(first as string)).toMatchObject({ attempts: 5 });
      expect(first).not.toMatch(/removeOn/);
      await until(async () => (await queue.getJobCountByTypes('waiting', 'active')) === 0);
      await until(async () => (await queue.getCompletedCount()) === kept);
      // The oldest are gone, their records too; the newest stay.
      expect(await bull.exists(queue.toKey(jobs[0]?.opts.jobId as string))).toBe(0);
      expect(await bull.exists(queue.toKey(jobs.at(-1)?.opts.jobId as string))).toBe(1);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      bull.disconnect();
    }
  });
});

describe('frontier housekeeping', () => {
  it('round keys live for the configured TTL, derived from the reseed interval', async () => {
    expect(roundTtlMsFor(6 * 3_600_000)).toBe(13 * 3_600_000);
    expect(roundTtlMsFor(0)).toBeGreaterThan(0);
    const f = new Frontier(redis, { ...DEFAULT_REVISIT, roundTtlMs: 120_000 });
    await f.startRound('ttl');
    await f.admit('ttl', [v4(1)]);
    await f.record(observation(v4(1), 'ttl', 'ok'));
    for (const k of ['addrs', 'meta']) {
      const ttl = await redis.ttl(`bitcrawl:round:ttl:${k}`);
      expect(ttl, k).toBeGreaterThan(100);
      expect(ttl, k).toBeLessThanOrEqual(120);
    }
  });

  it('prune forgets next-visit times and failure counts older than failMaxMs, and only those', async () => {
    await redis.del('bitcrawl:addr:revisit');
    await redis.hset('bitcrawl:addr:next', 'legacy', '1');
    await redis.zadd('bitcrawl:addr:due', 1, 'legacy');
    let now = 10_000_000;
    const policy = { reachableMs: 100, failBaseMs: 1000, failMaxMs: 5000 };
    const f = new Frontier(redis, policy, () => now);
    const old = Array.from({ length: 25 }, (_, i) => v4(400 + i));
    await f.admit('p1', old);
    for (const a of old) await f.record(observation(a, 'p1', 'refused'));
    now += 20_000;
    const fresh = v4(500);
    await f.admit('p2', [fresh]);
    await f.record(observation(fresh, 'p2', 'refused'));
    expect(await redis.hlen('bitcrawl:addr:revisit')).toBe(26);
    expect(await f.prune(10)).toBe(25); // several batches
    expect(await redis.hkeysBuffer('bitcrawl:addr:revisit')).toEqual([endpointKey(fresh)]);
    expect(await redis.exists('bitcrawl:addr:next', 'bitcrawl:addr:due')).toBe(0);
    // a pruned address is simply due again
    expect(await f.admit('p3', [old[0]!])).toEqual([old[0]]);
  });
});

describe('observation stream', () => {
  it('a restarted reader returns each of its pending entries once, then new ones', async () => {
    await redis.del(OBSERVATION_STREAM);
    const f = new Frontier(redis);
    const opts = { batch: 2, blockMs: 50, claimIdleMs: 60_000 };
    const first = new ObservationStreamReader(redis, 'pend', opts);
    await first.ensureGroup();
    await f.admit('pe', [v4(1), v4(2), v4(3), v4(4), v4(5)]);
    for (const i of [1, 2, 3]) await f.record(observation(v4(i), 'pe', 'ok'));
    const a = await first.read();
    const b = await first.read();
    expect([...a.ids, ...b.ids]).toHaveLength(3);
    // restart without acking; two more arrive
    for (const i of [4, 5]) await f.record(observation(v4(i), 'pe', 'ok'));
    const restarted = new ObservationStreamReader(redis, 'pend', opts);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(...(await restarted.read()).observations.map((o) => o.host));
    expect(seen.sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
  });

  it("claims a dead consumer's entries batch by batch and forgets idle consumers", async () => {
    await redis.del(OBSERVATION_STREAM);
    const f = new Frontier(redis);
    const dead = new ObservationStreamReader(redis, 'dead', { batch: 10, blockMs: 50, claimIdleMs: 60_000 });
    await dead.ensureGroup();
    await f.admit(
      'cl',
      Array.from({ length: 6 }, (_, i) => v4(i)),
    );
    for (let i = 0; i < 6; i++) await f.record(observation(v4(i), 'cl', 'ok'));
    expect((await dead.read()).ids).toHaveLength(6);
    await new Promise((r) => setTimeout(r, 30));
    const live = new ObservationStreamReader(redis, 'live', {
      batch: 4,
      blockMs: 50,
      claimIdleMs: 20,
      forgetConsumerAfterMs: 0,
    });
    const one = await live.read();
    const two = await live.read();
    expect(one.ids).toHaveLength(4);
    expect(two.ids).toHaveLength(2);
    await live.ack([...one.ids, ...two.ids]);
    await live.read(); // the claim scan wraps: 'dead' has nothing pending and is forgotten
    const consumers = (await redis.xinfo('CONSUMERS', OBSERVATION_STREAM, 'ingester')) as unknown[][];
    expect(consumers.map((c) => c[1])).toEqual(['live']);
  });

  it('scans for idle entries to claim once a quarter of claimIdleMs, not before every read', async () => {
    const calls = async () =>
      Number(/cmdstat_xautoclaim:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
    const reader = new ObservationStreamReader(redis, 'quiet', {
      batch: 10,
      blockMs: 10,
      claimIdleMs: 60_000,
    });
    await reader.ensureGroup();
    const before = await calls();
    for (let i = 0; i < 5; i++) await reader.read({ block: false });
    expect((await calls()) - before).toBe(1);
  });

  it('re-delivers unacked entries after a restart and dead-letters invalid ones', async () => {
    const f = new Frontier(redis);
    await redis.del(OBSERVATION_STREAM);
    const deadLettered: string[] = [];
    const reader = new ObservationStreamReader(redis, 'c1', {
      batch: 100,
      blockMs: 100,
      claimIdleMs: 60_000,
      onDeadLetter: (d) => deadLettered.push(d.error),
    });
    await reader.ensureGroup();
    await f.admit('s', [v4(1), v4(2)]);
    await f.record(observation(v4(1), 's', 'ok'));
    await redis.xadd(OBSERVATION_STREAM, '*', 'obs', '{"not":"an observation"}');
    await f.record(observation(v4(2), 's', 'closed'));
    const first = await reader.read();
    expect(first.observations.map((o) => o.host)).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(await redis.xlen(`${OBSERVATION_STREAM}:dead`)).toBe(1);
    expect(deadLettered).toHaveLength(1);
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
