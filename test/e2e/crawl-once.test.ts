import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { openStore } from '@bitcrawl/storage';
import { budget } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, simnetCrawlArgs } from './cli.ts';
import { ALL_KINDS, compareWithTruth } from './truth-check.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(240_000) });

let sim: Simnet;
beforeAll(async () => {
  sim = await startSimnet({
    seed: 21,
    nodes: 700,
    kinds: ALL_KINDS,
    ipv6: 20,
    onion: 20,
    i2p: 20,
    cjdns: 10,
    latencyMs: { min: 0, max: 30 },
    // Core-like nodes of every transport: the truth check compares each one's (BIP324).
    transports: { v2: 6, v1: 3, v1_claims_v2: 1 },
    // Ports of its own, below the ephemeral range: other simnets may be running on 8333.
    port: 11_000 + Math.floor(Math.random() * 8_000),
    ipv6BasePort: 21_000 + Math.floor(Math.random() * 2_000),
  });
});
afterAll(() => sim?.stop());

describe('bitcrawl crawl --once on the embedded store', () => {
  // One engine, and two (--threads 2: a crawl thread beside the main one, each its own BullMQ
  // consumer and Redis connections): the same round either way.
  for (const threads of [1, 2])
    it(`finishes the round and ClickHouse matches the ground truth exactly (--threads ${threads})`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-e2e-store-'));
      const p = sim.socksProxy;
      const crawlId = `once${threads}`;
      const r = await runCli(
        simnetCrawlArgs(
          sim,
          '--cjdns',
          '--proxy-onion',
          p,
          '--proxy-i2p',
          p,
          '--proxy-cjdns',
          p,
          '--store',
          dir,
          '--crawl-id',
          crawlId,
          '--threads',
          String(threads),
          // A v2 connection costs each end a few ms of CPU (key, ECDH) on its event loop: on a
          // loaded machine 300 of them at once need more than the other tests' 1.5 s to connect
          // (the loop is busy) and 2.5 s to shake hands.
          '--concurrency',
          '100',
          '--connect-timeout',
          '10000',
          '--handshake-timeout',
          '20000',
        ),
      );
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      const summary = JSON.parse(r.stdout.trim().split('\n').at(-1) as string);
      expect(summary.crawlId).toBe(crawlId);
      expect(summary.visited).toBe(sim.groundTruth.nodes.length);
      const store = await openStore({ dir });
      try {
        expect(await compareWithTruth(store, crawlId, sim.groundTruth)).toEqual([]);
        const nets = summary.byNetwork.map((n: { network: string }) => n.network).sort();
        expect(nets).toEqual(['cjdns', 'i2p', 'ipv4', 'ipv6', 'onion']);
      } finally {
        await store.close();
      }
    });
});
