import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Observation } from '@bitcrawl/model';
import { EMPTY_PACKED, packAddrs } from '@bitcrawl/protocol';
import {
  type CrawlJob,
  createCrawlQueue,
  DEFAULT_REVISIT,
  Frontier,
  OBSERVATION_STREAM,
  PREFIX,
} from '@bitcrawl/queue';
import { budget, type RedisServer, startRedis } from '@bitcrawl/testkit';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startCommitThread } from './commit-thread.ts';
import { commitVisit } from './committer.ts';

vi.setConfig({ testTimeout: budget(20_000) });

// The real thread (./thread-entry.ts, through tsx as the CLI's worker-thread.mjs runs it), and
// stand-ins for a thread that dies.
const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-commit-thread-'));
function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `import { parentPort } from 'node:worker_threads';\n${body}\n`);
  return file;
}
// The script names its modules in variables: the import-graph check reads the test's literals.
const real = script(
  'real.mjs',
  [
    `const api = ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};`,
    `const entry = ${JSON.stringify(pathToFileURL(path.join(import.meta.dirname, 'thread-entry.ts')).href)};`,
    'const { register } = await import(api);',
    'register();',
    'await import(entry);',
  ].join('\n'),
);

const v4 = (i: number) => ({ network: 'ipv4' as const, host: `10.1.${i >> 8}.${i & 255}`, port: 8333 });
/** With `own`, the answer has a buffer of its own, as a session's answers have (packList). */
const observation = (crawlId: string, answer: number, own = true): Observation => ({
  ts: Date.now(),
  crawlId,
  ...v4(0),
  outcome: answer > 0 ? 'ok' : 'refused',
  error: '',
  peer: null,
  connectMs: 1,
  handshakeMs: 0,
  addrs: answer > 0 ? packed(answer, own) : EMPTY_PACKED,
});
function packed(answer: number, own: boolean): Uint8Array {
  const view = packAddrs(
    Array.from({ length: answer }, (_, i) => ({ ...v4(i + 1), services: 9n, time: 1_700_000_000 })),
  );
  return own ? new Uint8Array(view) : view;
}

let server: RedisServer;
let redis: Redis;
let queue: Queue<CrawlJob>;
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
  queue = createCrawlQueue(new Redis(server.url, { maxRetriesPerRequest: null }));
}, budget(30_000));
afterAll(async () => {
  await queue?.close();
  redis?.disconnect();
  await server?.stop();
});

/** The hosts the queue holds jobs for in `crawlId`, sorted. */
async function queued(crawlId: string): Promise<string[]> {
  const jobs = await queue.getJobs(['waiting']);
  return jobs
    .filter((j) => j.data.crawlId === crawlId)
    .flatMap((j) => j.data.targets.map((t) => t.host))
    .sort();
}

describe('startCommitThread', () => {
  it('records a visit once and enqueues its answer, as a commit on the loop does', async () => {
    const thread = startCommitThread(real, { redisUrl: server.url, frontier: DEFAULT_REVISIT });
    try {
      const obs = observation('on-thread', 1000);
      expect(await thread.commit(obs)).toEqual({ recorded: true, enqueued: 1000, capped: 0 });
      // The answer's memory moved to the thread (it has a buffer of its own).
      expect(obs.addrs.byteLength).toBe(0);
      // Recorded once per round: a twin records nothing and has nothing left to enqueue. Its
      // answer is a view of a larger buffer, so it was copied, not moved.
      const twin = observation('on-thread', 1000, false);
      expect(await thread.commit(twin)).toEqual({ recorded: false, enqueued: 0, capped: 0 });
      expect(twin.addrs.byteLength).toBe(13_003);
      // A failed visit (the shared empty answer: it stays where it is).
      const failed = { ...observation('on-thread', 0), ...v4(4000) };
      expect(await thread.commit(failed)).toEqual({ recorded: true, enqueued: 0, capped: 0 });
      expect(failed.addrs).toBe(EMPTY_PACKED);
      expect(EMPTY_PACKED.byteLength).toBe(1);

      const loop = { frontier: new Frontier(redis, DEFAULT_REVISIT), crawlQueue: queue };
      expect(await commitVisit(loop, observation('on-loop', 1000))).toEqual({
        recorded: true,
        enqueued: 1000,
        capped: 0,
      });
      const onThread = await queued('on-thread');
      expect(onThread).toHaveLength(1000);
      expect(onThread).toEqual(await queued('on-loop'));
      // Each recorded visit is in the stream once, for the ingester.
      const stream = await redis.xrange(OBSERVATION_STREAM, '-', '+');
      expect(stream.length).toBe(3);
    } finally {
      await thread.close();
    }
  });

  it("rejects a commit Redis refuses with Redis's error, and goes on committing", async () => {
    const thread = startCommitThread(real, { redisUrl: server.url, frontier: DEFAULT_REVISIT });
    try {
      await redis.set(`${PREFIX}:round:wrong-type:addrs`, 'not a hash');
      await expect(thread.commit(observation('wrong-type', 3))).rejects.toMatchObject({
        name: 'ReplyError',
        message: expect.stringMatching(/WRONGTYPE/),
      });
      expect(await thread.commit(observation('right-type', 3))).toMatchObject({
        recorded: true,
        enqueued: 3,
      });
    } finally {
      await thread.close();
    }
    // Closed: nothing more is committed.
    await expect(thread.commit(observation('after-close', 3))).rejects.toMatchObject({
      code: 'COMMIT_THREAD_DIED',
    });
  });

  it('fails its commits and `died` with COMMIT_THREAD_DIED when the thread cannot start', async () => {
    const dies = script('dies-at-start.mjs', 'process.exit(3);');
    // Not waited for: commits sent before it runs are queued for it.
    const thread = startCommitThread(dies, { redisUrl: server.url, frontier: DEFAULT_REVISIT });
    await expect(thread.commit(observation('no-start', 2))).rejects.toMatchObject({
      code: 'COMMIT_THREAD_DIED',
    });
    await expect(thread.died).rejects.toMatchObject({ code: 'COMMIT_THREAD_DIED' });
    await thread.close();
  });

  it('rejects the commits in flight and `died` with COMMIT_THREAD_DIED when the thread dies', async () => {
    const later = script(
      'dies-on-commit.mjs',
      `parentPort.on('message', (m) => { if (m.type === 'commit') process.exit(4); });`,
    );
    const thread = startCommitThread(later, { redisUrl: server.url, frontier: DEFAULT_REVISIT });
    const first = thread.commit(observation('dies', 2));
    const second = thread.commit(observation('dies', 0));
    await expect(first).rejects.toMatchObject({ code: 'COMMIT_THREAD_DIED' });
    await expect(second).rejects.toMatchObject({ code: 'COMMIT_THREAD_DIED' });
    await expect(thread.died).rejects.toMatchObject({ code: 'COMMIT_THREAD_DIED' });
    await expect(thread.commit(observation('dies', 0))).rejects.toMatchObject({ code: 'COMMIT_THREAD_DIED' });
    await thread.close();
  });
});
