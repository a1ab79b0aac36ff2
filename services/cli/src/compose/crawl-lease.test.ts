import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI_BIN, cliBudget, type RedisServer, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: cliBudget(3, 30_000) });

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

describe("crawl runs the seeder's round loop", () => {
  it('on a Redis whose seeder leads, it stands by (seeds nothing) until stopped: exit 130, no round', async () => {
    const conn = new Redis(redis.url);
    // A deployment's seeder holds the lease (for the test's length).
    await conn.set('bitcrawl:seeder:leader', 'deployment-seeder', 'PX', 600_000);
    const store = mkdtempSync(path.join(tmpdir(), 'bitcrawl-crawl-lease-'));
    const child = spawn(process.execPath, [
      CLI_BIN,
      'crawl',
      '--once',
      '--no-dns',
      '--allow-private',
      '--seed',
      '127.1.0.1:18444',
      '--redis',
      redis.url,
      '--store',
      store,
    ]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d;
    });
    // 'close', not 'exit': the summary it prints last can still be in the pipe when it has exited.
    const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
    try {
      const deadline = Date.now() + cliBudget(2, 30_000);
      while (!err.includes('leads the rounds') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(err).toContain(
        'another seeder (deployment-seeder) leads the rounds on this Redis: waiting until it stops',
      );
      // Standing by, it has seeded nothing and started no round of its own.
      expect(await conn.exists('bitcrawl:seeder:current')).toBe(0);
      expect(await conn.llen('bitcrawl:crawl:wait')).toBe(0);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(JSON.parse(out)).toMatchObject({ crawlId: '', visited: 0, interrupted: true });
      expect(err).toContain('bitcrawl: stopped before a round started');
      expect(await conn.get('bitcrawl:seeder:leader')).toBe('deployment-seeder');
    } finally {
      child.kill('SIGKILL');
      conn.disconnect();
    }
  });
});
