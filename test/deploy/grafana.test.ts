import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, openStore, queryRows } from '@bitcrawl/storage';
import { budget, freePort, type RedisServer, startRedis, waitForPort } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(90_000) });

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'services/cli/bin/bitcrawl.mjs');
const grafana = path.join(root, 'infra/grafana');

type Panel = { title: string; datasource: { uid: string }; targets: { expr?: string; rawSql?: string }[] };
const dashboards = readdirSync(path.join(grafana, 'dashboards')).map(
  (f) => JSON.parse(readFileSync(path.join(grafana, 'dashboards', f), 'utf8')) as { panels: Panel[] },
);
const panels = dashboards.flatMap((d) => d.panels);

let redis: RedisServer;
const procs: ChildProcess[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await redis?.stop();
});

async function scrape(service: 'worker' | 'ingester', env: Record<string, string>): Promise<string> {
  const port = await freePort();
  const p = spawn(process.execPath, [bin, service], {
    env: { ...process.env, REDIS_URL: redis.url, METRICS_PORT: String(port), LOG_LEVEL: 'error', ...env },
    stdio: 'ignore',
  });
  procs.push(p);
  await waitForPort(port, '127.0.0.1', 30_000);
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

describe('Grafana provisioning and dashboards', () => {
  it('provisioning files are valid YAML naming both datasources the panels use', () => {
    const ds = parse(
      readFileSync(path.join(grafana, 'provisioning/datasources/datasources.yaml'), 'utf8'),
    ) as {
      datasources: { uid: string; type: string }[];
    };
    expect(ds.datasources.map((d) => d.uid).sort()).toEqual(['clickhouse', 'prometheus']);
    const providers = parse(
      readFileSync(path.join(grafana, 'provisioning/dashboards/dashboards.yaml'), 'utf8'),
    );
    expect(providers.providers[0].options.path).toBe('/var/lib/grafana/dashboards');
    for (const p of panels) expect(['clickhouse', 'prometheus']).toContain(p.datasource.uid);
    expect(panels.map((p) => p.title)).toEqual(
      expect.arrayContaining([
        'Queue depth by state (jobs of up to 16 addresses)',
        'Visits/s',
        'Outcomes by class',
        'Reachable nodes per network (latest round)',
        'User agents of reachable nodes',
        'Reachable nodes by country',
        'Cloud share of reachable nodes',
      ]),
    );
  });

  it('queue-wide gauges every replica exports are not summed across replicas', () => {
    const exprs = panels.flatMap((p) => p.targets.map((t) => t.expr ?? ''));
    for (const e of exprs.filter((x) => x.includes('bullmq_job_count'))) expect(e).not.toMatch(/\bsum\b/);
    for (const p of panels)
      for (const t of p.targets) expect(t.rawSql ?? '', p.title).not.toMatch(/max\(crawl_id\)/);
  });

  it('every metric a panel queries exists in a live /metrics scrape of a worker and an ingester', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-graf-'));
    const text = (await scrape('worker', {})) + (await scrape('ingester', { STORE_DIR: dir }));
    const exported = new Set([...text.matchAll(/^# TYPE (\w+)/gm)].map((m) => m[1]));
    const used = new Set(
      panels.flatMap((p) =>
        p.targets.flatMap((t) =>
          [...(t.expr ?? '').matchAll(/\b((?:bitcrawl|bullmq)_\w+)/g)].map((m) => m[1]),
        ),
      ),
    );
    expect(used.size).toBeGreaterThan(4);
    for (const m of used) expect(exported, m).toContain(m);
  });

  it('ClickHouse panels that read observations stay inside the dashboard time range', () => {
    for (const p of panels)
      for (const t of p.targets)
        if (t.rawSql && /\bFROM observations\b/.test(t.rawSql))
          expect(t.rawSql, p.title).toMatch(/FROM observations WHERE \$__timeFilter\(ts\)/);
  });

  it('every ClickHouse panel query runs against the migrated schema (chdb)', async () => {
    const store = await openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-graf-chdb-')) });
    try {
      await migrate(store);
      const sqls = panels.flatMap((p) =>
        p.targets.map((t) => t.rawSql).filter((s): s is string => Boolean(s)),
      );
      expect(sqls.length).toBeGreaterThanOrEqual(3);
      // $__timeFilter(col) as the ClickHouse plugin expands it, for the dashboard's default 6 h.
      const expand = (sql: string) =>
        sql.replace(/\$__timeFilter\((\w+)\)/g, '$1 >= now() - INTERVAL 6 HOUR AND $1 <= now()');
      for (const sql of sqls) await expect(queryRows(store, expand(sql)), sql).resolves.toBeInstanceOf(Array);
    } finally {
      await store.close();
    }
  });
});
