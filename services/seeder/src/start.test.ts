import { fromEnv } from '@bitcrawl/config';
import {
  CRAWL_QUEUE,
  type CrawlJob,
  createCrawlQueue,
  currentRound,
  Frontier,
  OBSERVATION_STREAM,
  PREFIX,
  ROUNDS_ENDED_KEY,
  type RoundEnded,
  visitJobs,
} from '@bitcrawl/queue';
import { createMetrics, silentLogger } from '@bitcrawl/telemetry';
import { budget, type RedisServer, startRedis } from '@bitcrawl/testkit';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { answered } from './answered.test-util.ts';
import { seederConfigFrom } from './config.ts';
import { RoundJobsFailedError, start } from './start.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(60_000) });

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

const SEED = { network: 'ipv4' as const, host: '127.0.7.1', port: 18444 };
const GOSSIPED = { network: 'ipv4' as const, host: '127.0.7.2', port: 18444 };

/**
 * The workers and the ingester, played by the test: every address is visited (the seed
 * gossips GOSSIPED), except that GOSSIPED's job fails for good when `failGossiped`; every
 * stream entry is taken at once.
 */
function fakeCrawl(failGossiped: boolean) {
  const redis = new Redis(server.url);
  const bull = new Redis(server.url, { maxRetriesPerRequest: null });
  const frontier = new Frontier(redis);
  const enqueue = createCrawlQueue(bull);
  const worker = new Worker<CrawlJob>(
    CRAWL_QUEUE,
    async (job: Job<CrawlJob>) => {
      const { crawlId, targets } = job.data;
      for (const { host, port } of targets) {
        if (failGossiped && host === GOSSIPED.host) throw new UnrecoverableError('the test fails it');
        const answer = host === SEED.host ? [GOSSIPED] : [];
        const obs = answered(crawlId, { host, port }, answer);
        const admitted = await frontier.commit(obs);
        await enqueue.addBulk(visitJobs(crawlId, 'gossip', admitted.enqueue));
      }
      await redis.del(OBSERVATION_STREAM);
    },
    { connection: new Redis(server.url, { maxRetriesPerRequest: null }), prefix: PREFIX },
  );
  return {
    redis,
    async stop() {
      await worker.close();
      await enqueue.close();
      bull.disconnect();
      redis.disconnect();
    },
  };
}

const oneShot = (crawlId: string) =>
  start(
    seederConfigFrom(
      fromEnv('seeder', {
        REDIS_URL: server.url,
        SEEDS: `${SEED.host}:${SEED.port}`,
        DNS: 'false',
        CRAWL_ID: crawlId,
      }),
    ),
    { logger: silentLogger(), metrics: createMetrics({ service: 'seeder', defaultMetrics: false }) },
  );

const notes = async (redis: Redis): Promise<RoundEnded[]> =>
  (await redis.lrange(ROUNDS_ENDED_KEY, 0, -1)).map((s) => JSON.parse(s));

describe('the seeder started with CRAWL_ID', () => {
  it('runs that one round to its end, notes it for the ingester and ends', async () => {
    const crawl = fakeCrawl(false);
    try {
      const seeder = await oneShot('once1');
      await seeder.ended;
      await seeder.close();
      const [note, ...more] = await notes(crawl.redis);
      expect(more).toEqual([]);
      expect(note).toMatchObject({
        crawlId: 'once1',
        seedsByNetwork: { ipv4: 1 },
        failedByNetwork: {},
        interrupted: false,
      });
      expect((await new Frontier(crawl.redis).progress('once1')).visited).toBe(2);
      expect(await currentRound(crawl.redis)).toBeUndefined();
    } finally {
      await crawl.stop();
    }
  });

  it('ends with ROUND_JOBS_FAILED (exit 1) when jobs failed for good, the round noted with them', async () => {
    const crawl = fakeCrawl(true);
    try {
      const seeder = await oneShot('once2');
      const err = await seeder.ended?.then(
        () => undefined,
        (e: unknown) => e,
      );
      await seeder.close();
      expect(err).toBeInstanceOf(RoundJobsFailedError);
      expect(err).toMatchObject({ code: 'ROUND_JOBS_FAILED', crawlId: 'once2', unvisited: 1 });
      const [note] = await notes(crawl.redis);
      expect(note).toMatchObject({ crawlId: 'once2', failedByNetwork: { ipv4: 1 }, interrupted: false });
    } finally {
      await crawl.stop();
    }
  });

  it('a stop before the round ends notes it as interrupted', async () => {
    const seeder = await oneShot('once3'); // no workers: the round cannot end
    const redis = new Redis(server.url);
    try {
      while ((await new Frontier(redis).progress('once3')).seen === 0)
        await new Promise((r) => setTimeout(r, 50));
      await seeder.close();
      await seeder.ended;
      expect(await notes(redis)).toMatchObject([{ crawlId: 'once3', interrupted: true }]);
    } finally {
      redis.disconnect();
    }
  });
});
