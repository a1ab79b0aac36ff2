import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fromEnv } from '@bitcrawl/config';
import { start as startDashboard } from '@bitcrawl/dashboard';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { silentLogger } from '@bitcrawl/telemetry';
import { budget, freePort, type RedisServer, startRedis } from '@bitcrawl/testkit';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(90_000) });

const bin = path.resolve(import.meta.dirname, '../../services/cli/bin/bitcrawl.mjs');
let sim: Simnet;
let redis: RedisServer;
let browser: Browser; // playwright gives every launch a fresh temporary profile
const procs: ChildProcess[] = [];

beforeAll(async () => {
  [sim, redis] = await Promise.all([
    startSimnet({ seed: 55, nodes: 300, kinds: { core: 1 }, latencyMs: { min: 50, max: 200 } }),
    startRedis(),
  ]);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, budget(60_000));
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await browser?.close();
  await Promise.all([sim?.stop(), redis?.stop()]);
});

const run = (service: string, env: Record<string, string>) => {
  const p = spawn(process.execPath, [bin, service], {
    env: { ...process.env, REDIS_URL: redis.url, LOG_LEVEL: 'error', ...env },
    stdio: 'ignore',
  });
  procs.push(p);
  return p;
};

describe('dashboard in headless Chromium', () => {
  it('shows live queue depth and progress during a simnet crawl, and serves Bull Board', async () => {
    const dash = await startDashboard(fromEnv('dashboard', { REDIS_URL: redis.url, DASHBOARD_PORT: '0' }), {
      logger: silentLogger(),
    });
    let closed = false;
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${dash.port}/`);
      // Seed a round with no worker running: the seeds wait in the queue. The one-shot seeder
      // (CRAWL_ID) stays to watch its round (it ends with the round; afterAll kills it).
      run('seeder', { SEEDS: sim.seeds.join(','), DNS: 'false', CRAWL_ID: 'dash1' });
      // The 3 seeds wait in one job (a job visits up to VISIT_BATCH addresses).
      await page.waitForFunction(() => document.getElementById('waiting')?.textContent === '1', undefined, {
        timeout: budget(15_000),
      });
      expect(await page.textContent('#round')).toBe('round dash1');
      // Start a worker: the page must follow the crawl live.
      run('worker', {
        ALLOW_PRIVATE: 'true',
        CONCURRENCY: '50',
        GETADDR_TIMEOUT_MS: '3000',
        IDLE_TIMEOUT_MS: '300',
        METRICS_PORT: String(await freePort()),
      });
      await page.waitForFunction(
        () => {
          const [v, seen] = (document.getElementById('visited')?.textContent ?? '0 / 0')
            .split(' / ')
            .map(Number);
          return (v ?? 0) > 20 && (seen ?? 0) > 100;
        },
        undefined,
        { timeout: budget(30_000) },
      );
      const active = Number(await page.textContent('#active'));
      const waiting = Number(await page.textContent('#waiting'));
      expect(active + waiting).toBeGreaterThan(0);
      const board = await browser.newPage();
      const res = await board.goto(`http://127.0.0.1:${dash.port}/queues`);
      expect(res?.status()).toBe(200);
      expect(await board.title()).toMatch(/Bull Dashboard/i);
      // Both tabs are still open and polling: stopping the dashboard must not wait for them.
      const t0 = Date.now();
      await dash.close();
      closed = true;
      // The tabs poll more often than any keep-alive timeout, so a close that waited for them
      // would never end; 20 s is room for a loaded machine, not a speed target.
      expect(Date.now() - t0).toBeLessThan(20_000);
    } finally {
      if (!closed) await dash.close();
    }
  });
});
