import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { openStore, readRounds } from '@bitcrawl/storage';
import { budget } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bin, simnetCrawlArgs } from './cli.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(120_000) });

let sim: Simnet;
beforeAll(async () => {
  // Slow nodes, so the round is still running when Ctrl-C comes.
  sim = await startSimnet({
    seed: 52,
    nodes: 300,
    kinds: { core: 1 },
    latencyMs: { min: 800, max: 1500 },
    // Ports of its own, below the ephemeral range: other simnets may be running on 8333.
    port: 11_000 + Math.floor(Math.random() * 8_000),
  });
});
afterAll(() => sim?.stop());

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

/**
 * `crawl --once` over the simnet in its own process group, as a terminal's foreground job: a
 * SIGINT to the group reaches the crawl and every child it started in the group. Resolves once
 * the round is seeded, with the private Redis's port.
 */
async function startCrawl(name: string) {
  const dir = mkdtempSync(path.join(tmpdir(), `bitcrawl-e2e-${name}-`));
  const child = spawn(process.execPath, [bin, ...simnetCrawlArgs(sim, '--store', dir)], { detached: true });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => {
    out.stdout += d;
  });
  // 'close', not 'exit': its last output can still be in the pipe when it has exited.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve) => {
    child.stderr.on('data', (d: Buffer) => {
      out.stderr += d;
      if (/seed addresses enqueued/.test(out.stderr)) resolve();
    });
  });
  const redisPort = Number(/private redis-server at redis:\/\/127\.0\.0\.1:(\d+)/.exec(out.stderr)?.[1]);
  return {
    dir,
    out,
    exited,
    redisPort,
    interrupt: () => process.kill(-(child.pid as number), 'SIGINT'),
    kill: () => child.exitCode === null && process.kill(-(child.pid as number), 'SIGKILL'),
  };
}

describe('Ctrl-C during bitcrawl crawl --once', () => {
  it('stops gracefully with its private Redis still up, stores what it had, says the round is partial, exits 130', async () => {
    const crawl = await startCrawl('interrupt');
    try {
      // Mid-round: once a progress line counts a visit (however long a loaded machine takes to
      // get there), while the slow nodes keep most of the round ahead.
      while (!/visited [1-9]\d*\//.test(crawl.out.stderr)) await new Promise((r) => setTimeout(r, 100));
      crawl.interrupt();
      expect(await crawl.exited, crawl.out.stderr.slice(-2000)).toBe(130);
      const summary = JSON.parse(crawl.out.stdout.trim().split('\n').pop() as string);
      expect(summary.interrupted).toBe(true);
      // What was visited before the interrupt was drained into the store, not lost with Redis.
      expect(summary.visited).toBeGreaterThan(0);
      expect(summary.visited).toBeLessThan(sim.groundTruth.nodes.length);
      // The private redis-server is stopped by the crawl, not left behind.
      expect(crawl.redisPort).toBeGreaterThan(0);
      expect(await portOpen(crawl.redisPort)).toBe(false);
      // The round's `rounds` rows are written at the stop, marked interrupted, with its figures.
      const store = await openStore({ dir: crawl.dir });
      try {
        const rows = await readRounds(store);
        expect(rows.map((r) => [r.crawlId, r.network, r.visited, r.reachable, r.interrupted])).toEqual(
          summary.byNetwork.map((n: { network: string; visited: number; reachable: number }) => [
            summary.crawlId,
            n.network,
            n.visited,
            n.reachable,
            true,
          ]),
        );
        expect(rows[0]?.seeds).toBe(sim.seeds.length);
      } finally {
        await store.close();
      }
    } finally {
      crawl.kill();
    }
  });

  it('a second Ctrl-C ends it at once, and takes its private redis-server with it', async () => {
    const crawl = await startCrawl('interrupt2');
    try {
      expect(await portOpen(crawl.redisPort)).toBe(true);
      crawl.interrupt();
      await new Promise((r) => setTimeout(r, 300));
      crawl.interrupt();
      expect(await crawl.exited).toBe(130);
      // Its own process group kept it from the terminal's signal; the crawl's exit stops it
      // (polled: a loaded machine may take a while; one left running meets the time limit).
      while (await portOpen(crawl.redisPort)) await new Promise((r) => setTimeout(r, 100));
    } finally {
      crawl.kill();
    }
  });
});
