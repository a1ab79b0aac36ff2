import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@bitcrawl/telemetry';
import { type RedisServer, startRedis } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerEnvSchema } from './env.ts';
import { main } from './main.ts';
import { splitConcurrency, startEngineThreads } from './threads.ts';

// Stand-in thread scripts: the protocol between the main thread and a crawl thread, without
// Redis. The real entry (the CLI) is exercised by test/e2e/distributed.test.ts.
const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-threads-'));
function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `import { parentPort, workerData } from 'node:worker_threads';\n${body}\n`);
  return file;
}

/** Answers metrics with one counter worth its concurrency; stops when asked. */
const cooperative = script(
  'cooperative.mjs',
  `const d = workerData.bitcrawlEngineThread;
parentPort.on('message', (m) => {
  if (m.type === 'stop') { parentPort.removeAllListeners('message'); parentPort.unref(); }
  if (m.type === 'metrics') parentPort.postMessage({ type: 'metrics', id: m.id, data: [{
    name: 'bitcrawl_visits_total', help: 'h', type: 'counter', aggregator: 'sum',
    values: [{ labels: { outcome: 'ok', network: 'ipv4' }, value: d.concurrency }] }] });
});
parentPort.postMessage({ type: 'ready' });`,
);

const env = (over: Record<string, string>) =>
  workerEnvSchema.parse({ REDIS_URL: 'redis://127.0.0.1:1', SHUTDOWN_GRACE_MS: '200', ...over });

describe('splitConcurrency', () => {
  it('shares CONCURRENCY out whole, the remainder to the first threads', () => {
    expect(splitConcurrency(1001, 2)).toEqual([501, 500]);
    expect(splitConcurrency(2000, 2)).toEqual([1000, 1000]);
    expect(splitConcurrency(5, 3)).toEqual([2, 2, 1]);
    expect(splitConcurrency(7, 1)).toEqual([7]);
  });
});

describe('startEngineThreads', () => {
  it('starts a thread per share, with its share, gathers their metrics, and stops them', async () => {
    const threads = startEngineThreads({
      entry: cooperative,
      env: env({ THREADS: '3', CONCURRENCY: '10' }),
      shares: [3, 4],
      logger: silentLogger(),
    });
    await threads.ready;
    expect(threads.alive()).toBe(true);
    const figures = await threads.metrics();
    expect(figures.map((f) => f[0]?.values[0]?.value).sort()).toEqual([3, 4]);
    await threads.close();
    expect(threads.alive()).toBe(false);
  });

  it('fails ready with ENGINE_THREAD_DIED when a thread ends before starting', async () => {
    const dies = script('dies.mjs', 'process.exit(3);');
    const threads = startEngineThreads({
      entry: dies,
      env: env({ THREADS: '3' }),
      shares: [1, 1],
      logger: silentLogger(),
    });
    await expect(threads.ready).rejects.toMatchObject({ code: 'ENGINE_THREAD_DIED' });
    await threads.close();
  });

  it('rejects `died` when a running thread ends unasked', async () => {
    const later = script(
      'later.mjs',
      `parentPort.postMessage({ type: 'ready' });
parentPort.on('message', () => {});
setTimeout(() => { throw new Error('boom'); }, 100);`,
    );
    const threads = startEngineThreads({
      entry: later,
      env: env({ THREADS: '3' }),
      shares: [1, 1],
      logger: silentLogger(),
    });
    await threads.ready;
    await expect(threads.died).rejects.toMatchObject({ code: 'ENGINE_THREAD_DIED' });
    expect(threads.alive()).toBe(false);
    await threads.close();
  });

  it('terminates a thread that does not stop within the grace', async () => {
    const stubborn = script(
      'stubborn.mjs',
      `parentPort.on('message', () => {});
parentPort.postMessage({ type: 'ready' });`,
    );
    const threads = startEngineThreads({
      entry: stubborn,
      env: env({ THREADS: '2', SHUTDOWN_GRACE_MS: '0' }),
      shares: [1],
      logger: silentLogger(),
    });
    await threads.ready;
    const t = Date.now();
    await threads.close(); // grace 0 + the 10 s margin, then terminate()
    expect(Date.now() - t).toBeGreaterThanOrEqual(9_000);
    expect(threads.alive()).toBe(false);
  }, 20_000);
});

describe('main with THREADS > 1', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => redis?.stop());
  const envOf = (over: Record<string, string>) => ({
    REDIS_URL: redis.url,
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '200',
    THREADS: '3', // this thread's engine and two crawl threads
    ...over,
  });

  it('needs the script a crawl thread runs', async () => {
    await expect(main(envOf({}))).rejects.toThrow(/threadEntry/);
  });

  it('fails with ENGINE_THREAD_DIED when a crawl thread cannot start, after stopping the others', async () => {
    const dies = script('dies-at-start.mjs', 'process.exit(3);');
    await expect(main(envOf({}), { threadEntry: dies })).rejects.toMatchObject({
      code: 'ENGINE_THREAD_DIED',
    });
  });

  it('stops the worker and fails with ENGINE_THREAD_DIED when a running crawl thread dies', async () => {
    const later = script(
      'dies-later.mjs',
      `parentPort.postMessage({ type: 'ready' });
parentPort.on('message', (m) => { if (m.type === 'stop') { parentPort.removeAllListeners('message'); parentPort.unref(); } });
if (workerData.bitcrawlEngineThread.index === 2) setTimeout(() => process.exit(4), 200);`,
    );
    const t = Date.now();
    await expect(main(envOf({}), { threadEntry: later })).rejects.toMatchObject({
      code: 'ENGINE_THREAD_DIED',
    });
    // The other thread stopped when asked (not terminated late), and this thread's engine closed.
    expect(Date.now() - t).toBeLessThan(5_000);
  });
});
