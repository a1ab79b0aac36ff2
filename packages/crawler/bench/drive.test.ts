import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { budget } from '@bitcrawl/testkit';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { bundleClient } from './bundle.ts';
import { type DriveResult, steadyRate } from './drive.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(60_000) });

describe('steadyRate (bench:sessions)', () => {
  it('is the completion rate between the 10th and 90th percentile, without start and drain', () => {
    // 1,001 completions: a slow start (100 in the first 5 s), 800 at 100/s, a slow drain.
    const t: number[] = [];
    for (let i = 0; i < 100; i++) t.push(i * 50);
    for (let i = 0; i <= 800; i++) t.push(5_000 + i * 10);
    for (let i = 1; i <= 100; i++) t.push(13_000 + i * 50);
    expect(steadyRate(t, t.length)).toBeCloseTo(100, 5);
    // Over the whole span the same completions give about 55/s.
    expect((t.length * 1000) / (t.at(-1) as number)).toBeLessThan(60);
  });

  it('reads only the first `count` times (the array is preallocated) and needs ten of them', () => {
    const t = new Float64Array(100);
    for (let i = 0; i < 11; i++) t[i] = i * 100;
    expect(steadyRate(t, 11)).toBeCloseTo(10, 5);
    expect(steadyRate(t, 9)).toBe(0);
  });
});

describe('the bench client on crawl threads (crawler-client.ts CHAIN CONCURRENCY FILE PASSES THREADS)', () => {
  let sim: Simnet | undefined;
  afterAll(async () => sim?.stop());

  it('visits every target on every pass, on each thread, and merges what the threads report', async () => {
    sim = await startSimnet({
      seed: 5,
      nodes: 40,
      kinds: { core: 1 },
      unreachableFraction: 0,
      ipv6: 0,
      onion: 0,
      i2p: 0,
      cjdns: 0,
      latencyMs: { min: 0, max: 20 },
      table: { min: 200, max: 400 }, // answers larger than a relay: a visit ends on the answer
      port: 28_334, // none of the other tests' ports
    });
    const nodes = sim.groundTruth.nodes.filter((n) => n.kind === 'core');
    const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-drive-'));
    const file = path.join(dir, 'targets.txt');
    writeFileSync(file, nodes.map((n) => `${n.host} ${n.port}\n`).join(''));
    const client = await bundleClient('crawler-client.ts', 'bitcrawl-bench-test');
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [client, 'mainnet', '9', file, '2', '2'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (d) => {
        text += d;
      });
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`client exited ${code}`))));
    });
    const r = JSON.parse(out.trim().split('\n').pop() as string) as DriveResult;
    expect(r.threads).toBe(2);
    expect(r.visits).toBe(2 * nodes.length);
    expect(r.ok).toBe(2 * nodes.length);
    const answers = nodes.reduce((n, t) => n + t.answer.length, 0);
    expect(r.addrs).toBe(2 * answers);
    expect(r.peak).toBeLessThanOrEqual(9); // 5 + 4: the threads' shares of 9
    expect(r.steadyRate).toBeGreaterThan(0);
    expect(r.seconds).toBeGreaterThan(0);
  });
});
