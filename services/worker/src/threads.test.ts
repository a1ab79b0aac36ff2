import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fromEnv } from '@bitcrawl/config';
import { createLogger, createMetrics, silentLogger } from '@bitcrawl/telemetry';
import { budget, type RedisServer, startRedis } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { workerConfigFrom } from './config.ts';
import { main } from './main.ts';
import { threadedMetrics } from './metrics.ts';
import { startEngineThreads } from './threads.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(20_000) });

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

const config = (over: Record<string, string>) =>
  workerConfigFrom(
    fromEnv('worker', { REDIS_URL: 'redis://127.0.0.1:1', SHUTDOWN_GRACE_MS: '200', ...over }),
  );

describe('THREADS in the environment', () => {
  it('may not exceed CONCURRENCY: every engine needs a session', () => {
    expect(() => config({ THREADS: '3', CONCURRENCY: '2' })).toThrow(/THREADS must not exceed CONCURRENCY/);
    expect(config({ THREADS: '2', CONCURRENCY: '2' }).threads).toBe(2);
  });
});

describe('threadedMetrics', () => {
  it("sums the engines' figures, shows this thread's process figures once, one family per name", async () => {
    const own = createMetrics({ service: 'worker' });
    own.visits.inc({ outcome: 'ok', network: 'ipv4' }, 2);
    const other = createMetrics({ service: 'worker', defaultMetrics: false });
    other.visits.inc({ outcome: 'ok', network: 'ipv4' }, 5);
    other.sessionsActive.set(7);
    const data = await other.registry.getMetricsAsJSON();
    const text = await threadedMetrics(own, { metrics: async () => [data] });
    expect(text).toMatch(/^bitcrawl_visits_total\{outcome="ok",network="ipv4",service="worker"\} 7$/m);
    expect(text).toMatch(/^bitcrawl_sessions_active\{service="worker"\} 7$/m);
    expect(text).toMatch(/^bitcrawl_process_process_start_time_seconds\{service="worker"\} \d+/m);
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    expect(new Set(families).size).toBe(families.length);
  });
});

describe('startEngineThreads', () => {
  it('starts a thread per share, with its share, gathers their metrics, and stops them', async () => {
    const threads = startEngineThreads({
      entry: cooperative,
      config: config({ THREADS: '3', CONCURRENCY: '10' }),
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
      config: config({ THREADS: '3' }),
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
parentPort.on('message', (m) => { if (m.type === 'stop') { parentPort.removeAllListeners('message'); parentPort.unref(); } });
// Dies once running (at its first scrape), however long the start took on a loaded machine.
parentPort.on('message', (m) => { if (m.type === 'metrics' && workerData.bitcrawlEngineThread.index === 1) throw new Error('boom'); });`,
    );
    const threads = startEngineThreads({
      entry: later,
      config: config({ THREADS: '3' }),
      shares: [1, 1],
      logger: silentLogger(),
    });
    await threads.ready;
    void threads.metrics();
    await expect(threads.died).rejects.toMatchObject({ code: 'ENGINE_THREAD_DIED' });
    expect(threads.alive()).toBe(false);
    await threads.close();
  });

  it('fails close with ENGINE_THREAD_DIED when a thread fails while stopping', async () => {
    const failsOnStop = script(
      'fails-on-stop.mjs',
      `parentPort.on('message', (m) => { if (m.type === 'stop') throw new Error('close failed'); });
parentPort.postMessage({ type: 'ready' });`,
    );
    const threads = startEngineThreads({
      entry: failsOnStop,
      config: config({ THREADS: '2' }),
      shares: [1],
      logger: silentLogger(),
    });
    await threads.ready;
    await expect(threads.close()).rejects.toMatchObject({ code: 'ENGINE_THREAD_DIED' });
  });

  it('terminates a thread that does not stop within the grace', async () => {
    const stubborn = script(
      'stubborn.mjs',
      `parentPort.on('message', () => {});
parentPort.postMessage({ type: 'ready' });`,
    );
    const threads = startEngineThreads({
      entry: stubborn,
      config: config({ THREADS: '2', SHUTDOWN_GRACE_MS: '0' }),
      shares: [1],
      logger: silentLogger(),
    });
    await threads.ready;
    const t = Date.now();
    // grace 0 + the 10 s margin, then terminate(): a failure to stop, reported as one
    await expect(threads.close()).rejects.toMatchObject({ code: 'ENGINE_THREAD_DIED' });
    expect(Date.now() - t).toBeGreaterThanOrEqual(9_000);
    expect(threads.alive()).toBe(false);
  });

  it('ends a thread that reports its engine stopped, whatever timer it has left', async () => {
    const lingering = script(
      'lingering.mjs',
      `parentPort.on('message', (m) => {
  if (m.type !== 'stop') return;
  setTimeout(() => {}, 60_000); // as BullMQ's stalled-job check can leave one
  parentPort.postMessage({ type: 'stopped' });
});
parentPort.postMessage({ type: 'ready' });`,
    );
    const threads = startEngineThreads({
      entry: lingering,
      config: config({ THREADS: '2' }),
      shares: [1],
      logger: silentLogger(),
    });
    await threads.ready;
    const t = Date.now();
    await threads.close();
    // Not terminated after the default grace (20 s) and margin (10 s): half of that is no limit
    // for a loaded machine.
    expect(Date.now() - t).toBeLessThan(15_000);
  });

  it("logs each thread's stop, with its visits, from the main thread", async () => {
    const counted = script(
      'counted.mjs',
      `parentPort.on('message', (m) => {
  if (m.type === 'stop') parentPort.postMessage({ type: 'stopped', visits: 7 });
});
parentPort.postMessage({ type: 'ready' });`,
    );
    const lines: string[] = [];
    const threads = startEngineThreads({
      entry: counted,
      config: config({ THREADS: '2' }),
      shares: [1],
      logger: createLogger({
        service: 'worker',
        destination: new Writable({
          write(chunk, _encoding, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      }),
    });
    await threads.ready;
    await threads.close();
    const stops = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'crawl engine stopped');
    expect(stops).toMatchObject([{ thread: 1, visits: 7 }]);
  });

  it('gives a thread that does not answer a scrape in time its last figures, so counters never go back', async () => {
    const stalls = script(
      'stalls.mjs',
      `let asked = 0;
parentPort.on('message', (m) => {
  if (m.type === 'stop') { parentPort.removeAllListeners('message'); parentPort.unref(); return; }
  if (m.type !== 'metrics') return;
  if (++asked === 2) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 4_000); // busy past the wait
  parentPort.postMessage({ type: 'metrics', id: m.id, data: [{ name: 'bitcrawl_visits_total', help: 'h',
    type: 'counter', aggregator: 'sum', values: [{ labels: {}, value: 100 * asked }] }] });
});
parentPort.postMessage({ type: 'ready' });`,
    );
    const threads = startEngineThreads({
      entry: stalls,
      config: config({ THREADS: '2' }),
      shares: [1],
      logger: silentLogger(),
    });
    await threads.ready;
    const value = async () => (await threads.metrics())[0]?.[0]?.values[0]?.value;
    expect(await value()).toBe(100);
    expect(await value()).toBe(100); // the stalled answer: the previous one
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await value()).toBe(300);
    await threads.close();
  });
});

describe('main with THREADS > 1', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  }, budget(30_000));
  afterAll(async () => redis?.stop());
  const envOf = (over: Record<string, string>) => ({
    REDIS_URL: redis.url,
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
    SHUTDOWN_GRACE_MS: '200',
    THREADS: '3', // this thread's engine and two crawl threads
    COMMIT_THREAD: '0', // the stand-in scripts speak a crawl thread's protocol only
    ...over,
  });

  it('needs the script a crawl thread runs', async () => {
    await expect(main(envOf({}))).rejects.toThrow(/threadEntry/);
  });

  it('fails with ENGINE_THREAD_DIED, promptly, when a crawl thread cannot start', async () => {
    const dies = script('dies-at-start.mjs', 'process.exit(3);');
    const t = Date.now();
    // A long grace: waiting it out (and the 10 s margin) would be the wrong behaviour.
    await expect(main(envOf({ SHUTDOWN_GRACE_MS: '40000' }), { threadEntry: dies })).rejects.toMatchObject({
      code: 'ENGINE_THREAD_DIED',
    });
    expect(Date.now() - t).toBeLessThan(20_000);
  });

  it('stops the worker and fails with ENGINE_THREAD_DIED when a running crawl thread dies', async () => {
    const later = script(
      'dies-later.mjs',
      `parentPort.postMessage({ type: 'ready' });
parentPort.on('message', (m) => { if (m.type === 'stop') { parentPort.removeAllListeners('message'); parentPort.unref(); } });
if (workerData.bitcrawlEngineThread.index === 2) setTimeout(() => process.exit(4), 200);`,
    );
    const t = Date.now();
    await expect(main(envOf({ SHUTDOWN_GRACE_MS: '40000' }), { threadEntry: later })).rejects.toMatchObject({
      code: 'ENGINE_THREAD_DIED',
    });
    // The other thread stopped when asked (not terminated after the 40 s grace and the margin),
    // and this thread's engine closed.
    expect(Date.now() - t).toBeLessThan(20_000);
  });
});
