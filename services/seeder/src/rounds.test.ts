import {
  createCrawlQueue,
  Frontier,
  OBSERVATION_STREAM,
  parseJobId,
  ROUNDS_ENDED_KEY,
  type RoundEnded,
  SeederLease,
  visitJobs,
} from '@bitcrawl/queue';
import { silentLogger } from '@bitcrawl/telemetry';
import { budget, type RedisServer, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { answered } from './answered.test-util.ts';
import { type RoundEnd, type RoundPoll, runRounds, sleepUntil, watchRound } from './rounds.ts';
import { seederConfigSchema, seedRound } from './seeder.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(30_000) });

let server: RedisServer;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(() => server?.stop());
beforeEach(async () => {
  const r = new Redis(server.url);
  await r.flushall();
  r.disconnect();
});

const SEED = { network: 'ipv4' as const, host: '127.0.6.1', port: 18444 };
const GOSSIPED = { network: 'ipv4' as const, host: '127.0.6.2', port: 18444 };
const WATCH = { pollMs: 100, idleRequeueMs: 1000 };

/**
 * The rest of a deployment, played by the test: a worker that visits every queued address
 * (all reachable; the seed gossips GOSSIPED in the first round only) and an ingester that
 * takes every stream entry at once.
 */
function fakeCrawl(redis: Redis, bull: Redis, ingest = true) {
  const frontier = new Frontier(redis);
  const crawlQueue = createCrawlQueue(bull);
  const visits: string[] = [];
  const seedRounds = new Set<string>();
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const job of await crawlQueue.getJobs(['waiting'])) {
        const crawlId = job.data.crawlId;
        for (const a of job.data.targets) {
          if (a.host === SEED.host) seedRounds.add(crawlId);
          const answer = a.host === SEED.host && seedRounds.size === 1 ? [GOSSIPED] : [];
          const obs = answered(crawlId, a, answer);
          const { enqueue } = await frontier.commit(obs);
          await crawlQueue.addBulk(visitJobs(crawlId, 'gossip', enqueue));
          visits.push(`${crawlId} ${a.host}`);
        }
        await job.remove();
        if (ingest) await redis.del(OBSERVATION_STREAM);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  return {
    frontier,
    crawlQueue,
    visits,
    async stop() {
      stopped = true;
      await loop;
      await crawlQueue.close();
    },
  };
}

const notes = async (redis: Redis): Promise<RoundEnded[]> =>
  (await redis.lrange(ROUNDS_ENDED_KEY, 0, -1)).map((s) => JSON.parse(s));

describe('the seeder runs rounds', () => {
  it('back to back, ROUND_INTERVAL_MS apart, each revisiting every known address, each noted when it ends', async () => {
    const redis = new Redis(server.url);
    const bull = new Redis(server.url, { maxRetriesPerRequest: null });
    const crawl = fakeCrawl(redis, bull);
    const config = seederConfigSchema.parse({
      chain: 'regtest',
      seeds: ['127.0.6.1:18444'],
      dns: false,
      roundIntervalMs: 1500,
    });
    const stop = new AbortController();
    const running = runRounds(
      { frontier: crawl.frontier, crawlQueue: crawl.crawlQueue, logger: silentLogger(), redis },
      config,
      stop.signal,
      WATCH,
    );
    try {
      while ((await notes(redis)).length < 2) await new Promise((r) => setTimeout(r, 50));
      stop.abort();
      await running;
    } finally {
      stop.abort();
      await crawl.stop();
    }
    const [first, second, ...later] = await notes(redis);
    if (!first || !second) throw new Error('two rounds expected');
    expect(first.crawlId).not.toBe(second.crawlId);
    expect(second.started - first.started).toBeGreaterThanOrEqual(1500);
    for (const n of [first, second])
      expect(n).toMatchObject({ seedsByNetwork: { ipv4: 1 }, failedByNetwork: {}, interrupted: false });
    // A third round the stop cut short says so.
    for (const n of later) expect(n.interrupted).toBe(true);
    // The second round's seed gossips nothing: GOSSIPED is visited again because it is known.
    const visited = (id: string) =>
      crawl.visits
        .filter((v) => v.startsWith(`${id} `))
        .map((v) => v.split(' ')[1])
        .sort();
    expect(visited(first.crawlId)).toEqual([SEED.host, GOSSIPED.host]);
    expect(visited(second.crawlId)).toEqual([SEED.host, GOSSIPED.host]);
    redis.disconnect();
    bull.disconnect();
  });

  it('a stop mid-round notes the round as interrupted', async () => {
    const redis = new Redis(server.url);
    const bull = new Redis(server.url, { maxRetriesPerRequest: null });
    const crawlQueue = createCrawlQueue(bull);
    const frontier = new Frontier(redis);
    const config = seederConfigSchema.parse({ chain: 'regtest', seeds: ['127.0.6.1:18444'], dns: false });
    const stop = new AbortController();
    // No worker: the round cannot end by itself.
    const running = runRounds(
      { frontier, crawlQueue, logger: silentLogger(), redis },
      config,
      stop.signal,
      WATCH,
    );
    while ((await crawlQueue.getJobCounts('waiting')).waiting === 0)
      await new Promise((r) => setTimeout(r, 50));
    stop.abort();
    await running;
    const [only, ...rest] = await notes(redis);
    expect(rest).toEqual([]);
    expect(only).toMatchObject({ seedsByNetwork: { ipv4: 1 }, interrupted: true });
    expect(only?.crawlId).toBe(await frontier.currentRound());
    await crawlQueue.close();
    redis.disconnect();
    bull.disconnect();
  });

  it('one seeder leads: a second stands by, and takes the round over (not a new one) when the first dies', async () => {
    const config = seederConfigSchema.parse({ chain: 'regtest', seeds: ['127.0.6.1:18444'], dns: false });
    const LEASE = 600;
    // The first seeder's own connections: cutting them is its crash (no release, no note).
    const redisA = new Redis(server.url, { maxRetriesPerRequest: 0 });
    const bullA = new Redis(server.url, { maxRetriesPerRequest: null });
    const queueA = createCrawlQueue(bullA);
    const stopA = new AbortController();
    const runningA = runRounds(
      { frontier: new Frontier(redisA), crawlQueue: queueA, logger: silentLogger(), redis: redisA },
      config,
      stopA.signal,
      WATCH,
      new SeederLease(redisA, LEASE),
    );
    runningA.catch(() => {}); // it dies below
    while ((await queueA.getJobCounts('waiting')).waiting === 0) await new Promise((r) => setTimeout(r, 50));
    const redis = new Redis(server.url);
    const bull = new Redis(server.url, { maxRetriesPerRequest: null });
    const frontier = new Frontier(redis);
    const firstRound = await frontier.currentRound();
    const stopB = new AbortController();
    const runningB = runRounds(
      { frontier, crawlQueue: createCrawlQueue(bull), logger: silentLogger(), redis },
      config,
      stopB.signal,
      WATCH,
      new SeederLease(redis, LEASE),
    );
    // While the first leads, the second seeds nothing of its own.
    await new Promise((r) => setTimeout(r, 3 * LEASE));
    expect(await frontier.currentRound()).toBe(firstRound);
    expect((await queueA.getJobs(['waiting'])).map((j) => parseJobId(j.id ?? '').crawlId)).toEqual([
      firstRound,
    ]);
    // The first dies; the second takes the lease over and resumes its round, which a worker ends.
    redisA.disconnect();
    bullA.disconnect();
    const crawl = fakeCrawl(redis, bull);
    try {
      while ((await notes(redis)).length < 1) await new Promise((r) => setTimeout(r, 50));
    } finally {
      stopB.abort();
      await runningB;
      await crawl.stop();
    }
    const [only] = await notes(redis);
    expect(only).toMatchObject({ crawlId: firstRound, seedsByNetwork: { ipv4: 1 }, interrupted: false });
    expect(crawl.visits.filter((v) => v.startsWith(`${firstRound} `)).length).toBeGreaterThan(0);
    // The stop released the lease, and the finished round is no longer the one to resume.
    expect(await redis.exists('bitcrawl:seeder:leader', 'bitcrawl:seeder:current')).toBe(0);
    redis.disconnect();
    bull.disconnect();
  });
});

describe("the round loop's hooks (crawl runs the seeder's loop with its own)", () => {
  it('the round id asked for, the known addresses given, one round, recorded by the hook and not noted', async () => {
    const redis = new Redis(server.url);
    const bull = new Redis(server.url, { maxRetriesPerRequest: null });
    const crawl = fakeCrawl(redis, bull);
    const config = seederConfigSchema.parse({ chain: 'regtest', seeds: ['127.0.6.1:18444'], dns: false });
    // A round another seeder left running: a round asked for by its id is not that one.
    await redis.set(
      'bitcrawl:seeder:current',
      JSON.stringify({ crawlId: 'old', started: 1, seedsByNetwork: {} }),
    );
    const KNOWN = { network: 'ipv4' as const, host: '127.0.6.9', port: 18444 };
    const started: { crawlId: string; enqueued: number; known: number }[] = [];
    const recorded: [RoundEnded, RoundEnd][] = [];
    const sinces: number[] = [];
    try {
      await runRounds(
        { frontier: crawl.frontier, crawlQueue: crawl.crawlQueue, logger: silentLogger(), redis },
        config,
        new AbortController().signal,
        WATCH,
        new SeederLease(redis),
        {
          firstCrawlId: 'asked-1',
          once: true,
          async *known(since) {
            sinces.push(since);
            yield [KNOWN];
          },
          onStarted: ({ crawlId, enqueued, known }) => void started.push({ crawlId, enqueued, known }),
          async record(ended, end) {
            // The round is still the current one while it is recorded (a crash here resumes it).
            expect(JSON.parse((await redis.get('bitcrawl:seeder:current')) ?? '{}').crawlId).toBe('asked-1');
            recorded.push([ended, end]);
          },
        },
      );
    } finally {
      await crawl.stop();
    }
    expect(started).toEqual([{ crawlId: 'asked-1', enqueued: 1, known: 1 }]);
    expect(sinces).toHaveLength(1);
    expect(recorded).toHaveLength(1);
    const [ended, end] = recorded[0] as [RoundEnded, RoundEnd];
    expect(ended).toMatchObject({ crawlId: 'asked-1', seedsByNetwork: { ipv4: 1 }, interrupted: false });
    // The seed, what it gossiped, and the known address the hook gave.
    expect(end).toMatchObject({ visited: 3, reachable: 3, failed: 0, interrupted: false });
    expect(crawl.visits.sort()).toEqual(['asked-1 127.0.6.1', 'asked-1 127.0.6.2', 'asked-1 127.0.6.9']);
    // Recorded by the hook alone: no note for an ingester; the round and the lease are let go.
    expect(await notes(redis)).toEqual([]);
    expect(await redis.exists('bitcrawl:seeder:leader', 'bitcrawl:seeder:current')).toBe(0);
    redis.disconnect();
    bull.disconnect();
  });
});

describe("watchRound (the seeder's and crawl's one round watch)", () => {
  it('ends with the last visit (untilStored false), or once the ingester has stored it all', async () => {
    const redis = new Redis(server.url);
    const bull = new Redis(server.url, { maxRetriesPerRequest: null });
    // Nothing ingests: the visits' observations stay in the stream (a backlog).
    const crawl = fakeCrawl(redis, bull, false);
    const deps = { frontier: crawl.frontier, crawlQueue: crawl.crawlQueue, logger: silentLogger(), redis };
    const config = seederConfigSchema.parse({ chain: 'regtest', seeds: ['127.0.6.1:18444'], dns: false });
    const never = new AbortController().signal;
    try {
      await seedRound(deps, config, 'w1');
      const polls: RoundPoll[] = [];
      const quick = await watchRound(deps, 'w1', never, {
        ...WATCH,
        untilStored: false,
        onPoll: (p) => void polls.push(p),
      });
      expect(quick).toEqual({ visited: 2, reachable: 2, failed: 0, interrupted: false });
      expect(polls.at(-1)).toMatchObject({ visited: 2, seen: 2, queued: 0, allVisited: true });
      expect(polls.at(-1)?.backlog).toBeGreaterThan(0);
      // untilStored: the same round is not over while the backlog lasts; it is once it is stored.
      let waiting = 0;
      const stored = await watchRound(deps, 'w1', never, {
        ...WATCH,
        onPoll: async (p) => {
          expect(p.allVisited).toBe(true);
          if (p.backlog > 0 && ++waiting === 3) await redis.del(OBSERVATION_STREAM);
        },
      });
      expect(waiting).toBe(3);
      expect(stored).toEqual({ visited: 2, reachable: 2, failed: 0, interrupted: false });
    } finally {
      await crawl.stop();
      redis.disconnect();
      bull.disconnect();
    }
  });
});

describe('sleepUntil (the wait between rounds)', () => {
  it('never ends before its deadline by the clock (a bare timer ends 1 ms early now and then)', async () => {
    const never = new AbortController().signal;
    let early = 0;
    for (let i = 0; i < 400; i++) {
      const deadline = Date.now() + 2 + (i % 5);
      await sleepUntil(deadline, never);
      if (Date.now() < deadline) early++;
    }
    expect(early).toBe(0);
    // A stop ends it at once.
    const stop = new AbortController();
    stop.abort();
    const t = Date.now();
    await sleepUntil(t + 60_000, stop.signal);
    expect(Date.now() - t).toBeLessThan(60_000);
  });
});
