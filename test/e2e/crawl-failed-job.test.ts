import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createCrawlQueue, Frontier, jobIdFor } from '@bitcrawl/queue';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { openStore, readRounds } from '@bitcrawl/storage';
import { budget, type RedisServer, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, simnetCrawlArgs } from './cli.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(120_000) });

let sim: Simnet;
let redis: RedisServer;
beforeAll(async () => {
  [sim, redis] = await Promise.all([startSimnet({ seed: 41, nodes: 20, kinds: { core: 1 } }), startRedis()]);
});
afterAll(async () => {
  await Promise.all([sim?.stop(), redis?.stop()]);
});

describe('bitcrawl crawl --once with a job that fails for good', () => {
  it('ends the round, visits everything else, and reports the address left unvisited', async () => {
    // An address admitted to the round whose job cannot succeed (its data is invalid, so the
    // worker fails it without retries): the round can never record it.
    const crawlId = 'failjob';
    const conn = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = createCrawlQueue(conn);
    const stuck = { network: 'ipv4' as const, host: '127.1.77.77', port: 8333 };
    try {
      const frontier = new Frontier(conn);
      await frontier.startRound(crawlId);
      expect(await frontier.admit(crawlId, [stuck])).toHaveLength(1);
      await queue.add(
        'visit',
        { crawlId, targets: [{ ...stuck, port: 70_000 }] },
        { jobId: jobIdFor(crawlId, stuck) },
      );
    } finally {
      await queue.close();
      conn.disconnect();
    }

    const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-e2e-failjob-'));
    const r = await runCli(simnetCrawlArgs(sim, '--redis', redis.url, '--store', dir, '--crawl-id', crawlId));
    expect(r.status, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
    expect(summary).toMatchObject({ crawlId, failedVisits: 1, visited: sim.groundTruth.nodes.length });
    expect(r.stderr).toMatch(/1 addresses left unvisited: their jobs failed/);
    // The rounds row counts it, on its network.
    const store = await openStore({ dir });
    try {
      const rows = (await readRounds(store)).filter((x) => x.crawlId === crawlId);
      expect(rows.map((x) => [x.network, x.failedVisits, x.interrupted])).toEqual([['ipv4', 1, false]]);
    } finally {
      await store.close();
    }
  });
});
