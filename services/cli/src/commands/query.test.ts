import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI_BIN, type ClickHouseServer, cliBudget, runCommand, startClickHouse } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: cliBudget(8, 30_000) });

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  runCommand(process.execPath, [CLI_BIN, ...args], { env: { CLICKHOUSE_URL: '', STORE_DIR: '', ...env } });

let ch: ClickHouseServer;
beforeAll(async () => {
  ch = await startClickHouse();
});
afterAll(() => ch?.stop());

// Issue 17, finding 7.
describe('bitcrawl query and report: output and where they read', () => {
  it('--format json prints 64-bit counts as numbers, a string only past 2^53', async () => {
    const store = mkdtempSync(path.join(tmpdir(), 'bitcrawl-query-json-'));
    const r = await run([
      'query',
      '--store',
      store,
      '--format',
      'json',
      "SELECT count() AS n, toUInt64(5) AS five, toUInt64(18446744073709551615) AS big, '123' AS digits FROM system.one",
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ n: 1, five: 5, big: '18446744073709551615', digits: '123' });
  });

  it('query and report read $CLICKHOUSE_URL as the services do; a flag still wins', async () => {
    const q = await run(['query', '--format', 'json', 'SELECT version() AS v'], { CLICKHOUSE_URL: ch.url });
    expect(q.status, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout).v).toMatch(/^18\./); // the server, not embedded chdb (26.x)
    const report = await run(['report'], { CLICKHOUSE_URL: ch.url });
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toBe('(no rounds in the store)\n');
    const store = mkdtempSync(path.join(tmpdir(), 'bitcrawl-query-flag-'));
    const flag = await run(['query', '--store', store, '--format', 'json', 'SELECT version() AS v'], {
      CLICKHOUSE_URL: ch.url,
    });
    expect(flag.status, flag.stderr).toBe(0);
    expect(JSON.parse(flag.stdout).v).not.toMatch(/^18\./);
  });

  it('a query over a store of several rounds says so, and names the newest (issue 17, finding 4)', async () => {
    const { openStore, migrate } = await import('@bitcrawl/storage');
    const insert = async (id: string, ts: string, ms: number) => {
      const store = await openStore({ url: ch.url });
      try {
        await migrate(store);
        await store.client.command({
          query: `INSERT INTO observations (ts, ts_ms, crawl_id, network, host, port, outcome) VALUES ('${ts}', ${ms}, '${id}', 'ipv4', '203.0.113.1', 8333, 'ok')`,
          clickhouse_settings: store.settings,
        });
      } finally {
        await store.close();
      }
    };
    await insert('r20261124T160442Z', '2026-11-24 16:04:42', 1_795_536_282_000);
    const single = await run(['query', '--clickhouse', ch.url, 'SELECT count() AS n FROM observations']);
    expect(single.stderr).toBe('(the store holds one round: r20261124T160442Z)\n');
    await insert('lab-b', '2026-11-25 09:00:00', 1_795_597_200_000);
    const every = await run(['query', '--clickhouse', ch.url, 'SELECT count() AS n FROM observations']);
    expect(every.status, every.stderr).toBe(0);
    expect(every.stderr).toContain('(rows of all 2 rounds in the store; the newest is lab-b:');
    const one = await run([
      'query',
      '--clickhouse',
      ch.url,
      'SELECT count() AS n FROM observations WHERE crawl_id = (SELECT argMax(crawl_id, ts_ms) FROM observations)',
    ]);
    expect(one.stderr).toBe('');
    expect(one.stdout).toMatch(/^n\n-\n1\n/);
    // report: the newest round by default, saying so and what else the store holds.
    const report = await run(['report', '--format', 'json'], { CLICKHOUSE_URL: ch.url });
    expect(report.status, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({
      rounds: ['lab-b'],
      inStore: { rounds: 2, newest: 'lab-b' },
    });
    const all = await run(['report', '--all-rounds', '--clickhouse', ch.url]);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout).toMatch(
      /^Report of 2 rounds, r20261124T160442Z to lab-b .*every round in the store\n/,
    );
    const clash = await run(['report', '--all-rounds', '--rounds', '2', '--clickhouse', ch.url]);
    expect(clash.status).toBe(2);
    // export reads $CLICKHOUSE_URL too, and names the round it is as of.
    const seeds = await run(['export', 'seeds'], { CLICKHOUSE_URL: ch.url });
    expect(seeds.status, seeds.stderr).toBe(0);
    expect(seeds.stdout).toMatch(/^# address /);
    expect(seeds.stderr).toMatch(/^seeds: 1 endpoints as of round lab-b from ClickHouse at http/);
  });
});
