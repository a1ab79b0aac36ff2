import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { openStore, readRounds } from '@bitcrawl/storage';
import { budget } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bin, simnetCrawlArgs } from './cli.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(300_000), hookTimeout: budget(60_000) });

let sim: Simnet;
beforeAll(async () => {
  sim = await startSimnet({
    seed: 77,
    nodes: 120,
    kinds: { core: 10, silent: 0.5 },
    // Ports of its own, below the ephemeral range: other simnets may be running on 8333.
    port: 11_000 + Math.floor(Math.random() * 8_000),
    ipv6BasePort: 21_000 + Math.floor(Math.random() * 2_000),
    latencyMs: { min: 0, max: 5 },
  });
});
afterAll(() => sim?.stop());

const INTERVAL_MS = 6000;

describe('bitcrawl crawl without --once', () => {
  it('runs rounds back to back, ROUND_INTERVAL_MS apart, revisiting every known address, and records each', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-e2e-continuous-'));
    const args = simnetCrawlArgs(sim, '--store', dir).filter((a) => a !== '--once');
    // The interval from the environment (as the services take it), not the flag.
    const child = spawn(process.execPath, [bin, ...args], {
      detached: true,
      env: { ...process.env, ROUND_INTERVAL_MS: String(INTERVAL_MS) },
    });
    const out = { stdout: '', stderr: '' };
    child.stderr.on('data', (d: Buffer) => {
      out.stderr += d;
    });
    // 'close', not 'exit': its last output can still be in the pipe when it has exited.
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const summaries = () => out.stdout.split('\n').filter((l) => l.startsWith('{'));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out.stdout += d;
          if (summaries().length >= 2) resolve();
        });
        void exited.then((code) => reject(new Error(`crawl exited ${code}: ${out.stderr.slice(-2000)}`)));
      });
      process.kill(-(child.pid as number), 'SIGINT');
      expect(await exited, out.stderr.slice(-2000)).not.toBeNull();
    } finally {
      if (child.exitCode === null) process.kill(-(child.pid as number), 'SIGKILL');
    }
    const all = summaries().map((l) => JSON.parse(l));
    const [first, second] = all;
    expect(first.crawlId).not.toBe(second.crawlId);
    // Every address of the first round is known to the second: it visits all of them again.
    expect(first.visited).toBe(sim.groundTruth.nodes.length);
    expect(second.visited).toBe(first.visited);
    expect([first.interrupted, second.interrupted]).toEqual([false, false]);
    // A third round the signal stopped, if it had started, says so.
    for (const s of all.slice(2)) expect(s.interrupted).toBe(true);
    // The first round knows nothing yet; the second starts with every address the first visited.
    const known = [...out.stderr.matchAll(/(\d+) known addresses enqueued/g)].map((m) => Number(m[1]));
    expect(known.slice(0, 2)).toEqual([0, first.visited - sim.groundTruth.seeds.length]);
    const store = await openStore({ dir });
    try {
      const rounds = await readRounds(store);
      const ids = [...new Set(rounds.map((r) => r.crawlId))];
      expect(ids).toEqual(all.map((s) => s.crawlId));
      const start = (id: string) => rounds.find((r) => r.crawlId === id)?.started ?? 0;
      // Started ROUND_INTERVAL_MS apart (the first round takes less), stored to the second.
      expect(start(second.crawlId) - start(first.crawlId)).toBeGreaterThanOrEqual(INTERVAL_MS - 1000);
      for (const s of all)
        expect(
          rounds
            .filter((r) => r.crawlId === s.crawlId)
            .map((r) => [r.network, r.visited, r.reachable, r.interrupted]),
        ).toEqual(
          s.byNetwork.map((n: { network: string; visited: number; reachable: number }) => [
            n.network,
            n.visited,
            n.reachable,
            s.interrupted,
          ]),
        );
      for (const r of rounds) expect(r.finished).toBeGreaterThanOrEqual(r.started);
    } finally {
      await store.close();
    }
  });
});
