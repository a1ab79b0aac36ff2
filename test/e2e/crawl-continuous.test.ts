import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { openStore, readRounds } from '@bitcrawl/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, simnetCrawlArgs } from './cli.ts';

let sim: Simnet;
beforeAll(async () => {
  sim = await startSimnet({
    seed: 77,
    nodes: 120,
    kinds: { core: 10, silent: 0.5 },
    port: 18_000 + Math.floor(Math.random() * 9_000),
    latencyMs: { min: 0, max: 5 },
  });
});
afterAll(() => sim?.stop());

describe('bitcrawl crawl without --once', () => {
  it('runs rounds back to back, ROUND_INTERVAL_MS apart, revisiting every known address, and records each', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-e2e-continuous-'));
    const args = simnetCrawlArgs(sim, '--store', dir, '--round-interval', '6000').filter(
      (a) => a !== '--once',
    );
    const child = spawn(process.execPath, [bin, ...args], { detached: true });
    const out = { stdout: '', stderr: '' };
    child.stderr.on('data', (d: Buffer) => {
      out.stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const summaries = () => out.stdout.split('\n').filter((l) => l.startsWith('{'));
    try {
      await new Promise<void>((resolve) => {
        child.stdout.on('data', (d: Buffer) => {
          out.stdout += d;
          if (summaries().length >= 2) resolve();
        });
      });
      child.kill('SIGINT');
      expect(await exited, out.stderr.slice(-2000)).not.toBeNull();
    } finally {
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    }
    const [first, second] = summaries().map((l) => JSON.parse(l));
    expect(first.crawlId).not.toBe(second.crawlId);
    // Every address of the first round is known to the second: it visits all of them again.
    expect(second.visited).toBe(first.visited);
    expect(first.visited).toBe(sim.groundTruth.nodes.length);
    expect([first.interrupted, second.interrupted]).toEqual([false, false]);
    // The first round knows nothing yet; the second starts with every address the first visited.
    const known = [...out.stderr.matchAll(/and (\d+) known addresses/g)].map((m) => Number(m[1]));
    expect(known.slice(0, 2)).toEqual([0, first.visited - sim.groundTruth.seeds.length]);
    const store = await openStore({ dir });
    try {
      const rounds = await readRounds(store);
      const ids = [...new Set(rounds.map((r) => r.crawlId))];
      expect(ids.slice(0, 2)).toEqual([first.crawlId, second.crawlId]);
      const start = (id: string) => rounds.find((r) => r.crawlId === id)?.started ?? 0;
      // Started 6 s apart (the first round takes less), stored to the second.
      expect(start(second.crawlId) - start(first.crawlId)).toBeGreaterThanOrEqual(5000);
      expect(rounds.filter((r) => r.crawlId === second.crawlId).map((r) => [r.network, r.visited])).toEqual(
        second.byNetwork.map((n: { network: string; visited: number }) => [n.network, n.visited]),
      );
    } finally {
      await store.close();
    }
  }, 300_000);
});
