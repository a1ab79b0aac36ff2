import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cliBudget, type RedisServer, startRedis } from '@bitcrawl/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: cliBudget(3, 30_000) });

let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-ingest-thread-'));
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('crawl with an ingest thread that cannot start', () => {
  it("ends with the thread's error instead of crawling on with nothing stored, and stops its engines", async () => {
    // The ingest thread now loads while the crawl starts, so its failure arrives after the
    // seeds are enqueued: the crawl must still end with it, not hang or report a round.
    const entry = path.join(dir, 'broken-ingest-thread.mjs');
    writeFileSync(entry, "throw new Error('this ingest thread cannot load');\n");
    const argv = ['node', 'bitcrawl', 'crawl', '--once', '--no-dns', '--allow-private'];
    const run = main(
      [...argv, '--seed', '127.0.0.1:1', '--redis', redis.url, '--store', path.join(dir, 'store')],
      { ingestThreadEntry: entry },
    );
    await expect(run).rejects.toThrow('this ingest thread cannot load');
    // Its engines and connections are gone: in the end this test's is Redis's only client.
    const conn = new Redis(redis.url);
    try {
      const others = async () =>
        String(await conn.client('LIST'))
          .trim()
          .split('\n').length - 1;
      const until = Date.now() + cliBudget(1, 10_000);
      while ((await others()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect(await others()).toBe(0);
    } finally {
      conn.disconnect();
    }
  });
});
