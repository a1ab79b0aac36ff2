import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { openStore, queryRows, readRounds } from '@bitcrawl/storage';
import { budget, freePort, loopbackTimerEnv, startClickHouse } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ALL_KINDS, compareWithTruth } from '../e2e/truth-check.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(240_000) });

const root = path.resolve(import.meta.dirname, '../..');

let sim: Simnet;
beforeAll(async () => {
  sim = await startSimnet({
    seed: 44,
    nodes: 400,
    port: 28_433, // not 8333: other simnets (other test runs on the machine) listen there
    kinds: ALL_KINDS,
    onion: 10,
    i2p: 10,
    latencyMs: { min: 0, max: 20 },
  });
});
afterAll(() => sim?.stop());

/** Runs a command to its end; stdout and stderr interleaved, as a terminal shows them. */
function runToEnd(cmd: string, args: string[]): Promise<{ code: number | null; text: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
    });
    child.stderr.on('data', (d) => {
      text += d;
    });
    child.on('close', (code) => resolve({ code, text }));
  });
}

describe('npm run stack -- --workers 3', () => {
  it('runs the compose topology as local processes and crawls a simnet into clickhouse-server, whose data outlive it', async () => {
    // Finding 1 of issue 17: clickhouse-server's data were a temp folder removed at exit.
    const data = path.join(mkdtempSync(path.join(tmpdir(), 'bitcrawl-stack-')), 'clickhouse');
    const p = sim.socksProxy;
    const args = [
      'run',
      'stack',
      '--',
      '--workers',
      '3',
      '--once',
      '--data',
      data,
      '--dashboard-port',
      String(await freePort()),
      '--no-dns',
      '--allow-private',
      ...sim.seeds.flatMap((s) => ['--seed', s]),
      '--env',
      `PROXY_ONION=${p}`,
      '--env',
      `PROXY_I2P=${p}`,
      // The loopback timers, scaled to the machine's speed (fixed ones miss visits under load).
      ...Object.entries(loopbackTimerEnv()).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    ];
    const out = await runToEnd('npm', args);
    expect(out.code, out.text.slice(-3000)).toBe(0);
    expect(out.text).toMatch(/worker-3=running\(pid \d+\)/);
    const crawlId = /round (r\d{8}T\d{6}Z): visited/.exec(out.text)?.[1] as string;
    expect(out.text).toContain(`stack: stored in ${data} (clickhouse-server's data, kept`);
    // The stack has stopped its server: a new one on the same folder has the whole round.
    const ch = await startClickHouse({ dataDir: data });
    const s = await openStore({ url: ch.url });
    try {
      expect(await compareWithTruth(s, crawlId, sim.groundTruth)).toEqual([]);
      const [row] = await queryRows<{ n: string }>(s, 'SELECT count() AS n FROM observations');
      expect(Number(row?.n)).toBe(sim.groundTruth.nodes.length);
      // The round's end was noted and the ingester wrote its rounds row before the stack stopped.
      expect(out.text).toContain(`round ${crawlId}: rounds rows written`);
      expect(
        (await readRounds(s)).map((r) => [r.crawlId, r.network, r.seeds, r.visited, r.interrupted]),
      ).toEqual(
        [...new Set(sim.groundTruth.nodes.map((n) => n.network))]
          .sort()
          .map((network) => [
            crawlId,
            network,
            network === 'ipv4' ? sim.seeds.length : 0,
            sim.groundTruth.nodes.filter((n) => n.network === network).length,
            false,
          ]),
      );
    } finally {
      await s.close();
      await ch.stop();
    }
  });

  it('stopped mid-round (SIGTERM): the seeder notes the round interrupted, its rows are written, exit 130', async () => {
    const data = path.join(mkdtempSync(path.join(tmpdir(), 'bitcrawl-stack-stop-')), 'clickhouse');
    const bin = path.join(root, 'services/cli/bin/bitcrawl.mjs');
    const args = [
      'stack',
      '--workers',
      '1',
      '--once',
      '--data',
      data,
      '--dashboard-port',
      String(await freePort()),
    ];
    const child = spawn(
      process.execPath,
      [bin, ...args, '--no-dns', '--allow-private', ...sim.seeds.flatMap((s) => ['--seed', s])],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    let signalled = false;
    const onData = (d: Buffer) => {
      text += d;
      // The first progress line with a visit and more to go: the round is under way.
      const m = /round \S+: visited (\d+)\/(\d+)/.exec(String(d));
      if (!signalled && m && Number(m[1]) > 0 && Number(m[1]) < Number(m[2])) {
        signalled = true;
        child.kill('SIGTERM');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(signalled, text.slice(-3000)).toBe(true);
    expect(code, text.slice(-3000)).toBe(130);
    const crawlId = /round (r\d{8}T\d{6}Z): visited/.exec(text)?.[1] as string;
    expect(text).toContain(`round ${crawlId}: rounds rows written`);
    const ch = await startClickHouse({ dataDir: data });
    const s = await openStore({ url: ch.url });
    try {
      const rows = await readRounds(s);
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) expect([r.crawlId, r.interrupted]).toEqual([crawlId, true]);
    } finally {
      await s.close();
      await ch.stop();
    }
  });

  it('exits 1 when jobs failed for good: the one-shot seeder ends the round, says how many, and is not restarted', async () => {
    // An onion seed behind a SOCKS proxy that is not there: its job fails on every attempt.
    const store = mkdtempSync(path.join(tmpdir(), 'bitcrawl-stack-failed-'));
    const bin = path.join(root, 'services/cli/bin/bitcrawl.mjs');
    const onion = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion:8333';
    const args = [
      'stack',
      '--workers',
      '1',
      '--once',
      '--store',
      store,
      '--dashboard-port',
      String(await freePort()),
    ];
    const deadProxy = `socks5://127.0.0.1:${await freePort()}`;
    const out = await runToEnd(process.execPath, [
      bin,
      ...args,
      '--no-dns',
      '--seed',
      onion,
      '--env',
      `PROXY_ONION=${deadProxy}`,
    ]);
    expect(out.code, out.text.slice(-3000)).toBe(1);
    const crawlId = /round (r\d{8}T\d{6}Z): visited/.exec(out.text)?.[1] as string;
    expect(out.text).toContain(
      `round ${crawlId}: 1 addresses left unvisited, their jobs failed (see Bull Board)`,
    );
    expect(out.text).toContain(`round ${crawlId}: rounds rows written`);
    expect(out.text).toMatch(/seeder=exited\(pid \d+\)/);
    expect(out.text).not.toMatch(/restarts \d/);
  });

  it('stops with status 2 when a service exits 2 (bad configuration) instead of restarting it for ever', async () => {
    const store = mkdtempSync(path.join(tmpdir(), 'bitcrawl-stack-bad-'));
    const bin = path.join(root, 'services/cli/bin/bitcrawl.mjs');
    const args = [
      'stack',
      '--workers',
      '1',
      '--once',
      '--store',
      store,
      '--dashboard-port',
      String(await freePort()),
    ];
    const out = await runToEnd(process.execPath, [bin, ...args, '--no-dns', '--seed', '127.0.0.1:notaport']);
    expect(out.code, out.text.slice(-3000)).toBe(2);
    expect(out.text).toMatch(/bad seed "127\.0\.0\.1:notaport"/);
    expect(out.text).toMatch(/stack: seeder exited with status 2: its configuration is invalid/);
    expect(out.text).not.toMatch(/restarts \d/);
  });
});
