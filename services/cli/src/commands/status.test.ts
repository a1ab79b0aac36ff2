import { spawn } from 'node:child_process';
import { EMPTY_PACKED } from '@bitcrawl/protocol';
import { createCrawlQueue, Frontier, visitJobs } from '@bitcrawl/queue';
import { budget, CLI_BIN, cliBudget, type RedisServer, runCommand, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: cliBudget(3, 30_000) });

const bin = CLI_BIN;
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

describe('bitcrawl status', () => {
  it('reports the current round, queue depth by state and ingest backlog', async () => {
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = createCrawlQueue(conn);
    const frontier = new Frontier(conn);
    try {
      await frontier.startRound('st1');
      const targets = [1, 2, 3].map((i) => ({ network: 'ipv4' as const, host: `127.0.9.${i}`, port: 8333 }));
      await frontier.admit('st1', targets);
      await queue.addBulk(visitJobs('st1', 'seed', targets, 1));
      await frontier.record({
        ts: Date.now(),
        crawlId: 'st1',
        ...targets[0]!,
        outcome: 'ok',
        error: '',
        peer: null,
        connectMs: 1,
        handshakeMs: 1,
        addrs: EMPTY_PACKED,
      });
      const r = await runCommand(process.execPath, [bin, 'status', '--json', '--redis', redis.url]);
      expect(r.status, r.stderr).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s).toMatchObject({ round: 'st1', progress: { seen: 3, visited: 1, ok: 1 }, ingestBacklog: 1 });
      expect(s.queue.waiting).toBe(3);
      const text = await runCommand(process.execPath, [bin, 'status', '--redis', redis.url]);
      expect(text.stdout).toMatch(/round st1 {2}visited 1\/3 {2}reachable 1 {2}jobs: waiting 3/);
      // without --redis, $REDIS_URL as it is when the command runs
      const fromEnv = await runCommand(process.execPath, [bin, 'status', '--json'], {
        env: { REDIS_URL: redis.url },
      });
      expect(fromEnv.status, fromEnv.stderr).toBe(0);
      expect(JSON.parse(fromEnv.stdout)).toMatchObject({ round: 'st1' });
    } finally {
      await queue.close();
      conn.disconnect();
    }
  });

  it('--watch ends on Ctrl-C at once, whatever the interval; an interval over an hour is refused', async () => {
    const child = spawn(process.execPath, [
      bin,
      'status',
      '--watch',
      '--interval',
      '600',
      '--redis',
      redis.url,
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const deadline = Date.now() + cliBudget(1);
    while (!out.includes('round') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const sentAt = Date.now();
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(Date.now() - sentAt).toBeLessThan(budget(5_000)); // the interval is 600 s
    expect(out.split('\n').filter(Boolean)).toHaveLength(1);

    const big = await runCommand(process.execPath, [bin, 'status', '--watch', '--interval', '3000000']);
    expect(big.status).toBe(2);
    expect(big.stderr).toMatch(/interval/);
  });
});
