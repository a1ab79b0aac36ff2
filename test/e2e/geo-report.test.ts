import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadGeoDb } from '@bitcrawl/geo';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { budget } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, simnetCrawlArgs } from './cli.ts';
import { ALL_KINDS } from './truth-check.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(240_000) });

const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(root, 'packages/geo/fixtures');

let sim: Simnet;
beforeAll(async () => {
  sim = await startSimnet({
    seed: 33,
    nodes: 400,
    kinds: ALL_KINDS,
    ipv6: 12,
    latencyMs: { min: 0, max: 20 },
  });
});
afterAll(() => sim?.stop());

type Row = Record<string, string | number>;
const counts = (keys: string[]) => {
  const m = new Map<string, number>();
  for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
  return m;
};

describe('bitcrawl report on a store without crawls', () => {
  it('says there are no rounds (exit 0) instead of failing on tables that do not exist yet', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-e2e-empty-'));
    const r = await runCli(['report', '--store', dir]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('(no rounds in the store)\n');
    // A directory that does not exist is a mistake, not a store to create: query and report say so.
    for (const cmd of [['report'], ['query', 'SELECT 1']]) {
      const missing = await runCli([...cmd, '--store', path.join(dir, 'typo')]);
      expect(missing.status, cmd[0]).toBe(2);
      expect(missing.stderr).toMatch(/^bitcrawl: no store at .*typo: crawl into it first/);
    }
  });
});

describe('bitcrawl crawl --geoip-asn-db, then bitcrawl report', () => {
  it('enriches the simnet crawl and reports countries, ASes and cloud share matching the ground truth', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-e2e-geo-'));
    const crawl = await runCli(
      simnetCrawlArgs(
        sim,
        '--store',
        dir,
        '--crawl-id',
        'geo1',
        '--geoip-asn-db',
        path.join(fixtures, 'ip2asn-test.tsv'),
        '--cloud-asns',
        path.join(fixtures, 'cloud-asns-test.json'),
      ),
    );
    expect(crawl.status, crawl.stderr.slice(-2000)).toBe(0);
    expect(crawl.stderr).toMatch(/GeoIP\/ASN: 8 ranges from .*ip2asn-test\.tsv/);
    // The same round id again, with a new private Redis: refused, or every figure would double.
    const again = await runCli(simnetCrawlArgs(sim, '--store', dir, '--crawl-id', 'geo1'));
    expect(again.status, again.stderr.slice(-2000)).toBe(2);
    expect(again.stderr).toMatch(/--crawl-id geo1: the store already has \d+ visits of that round/);

    const r = await runCli(['report', '--store', dir, '--format', 'json']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { rounds: string[]; sections: Record<string, Row[]> };
    expect(report.rounds).toEqual(['geo1']);
    const s = report.sections;

    // What the ground truth says: reachable IP nodes, and visits by expected outcome.
    const truth = sim.groundTruth.nodes;
    const okIp = truth.filter(
      (n) => n.expectedOutcome === 'ok' && (n.network === 'ipv4' || n.network === 'ipv6'),
    );
    const byOutcome = counts(truth.map((n) => n.expectedOutcome));
    expect(Object.fromEntries((s.outcomes ?? []).map((o) => [o.outcome, o.visits]))).toEqual(
      Object.fromEntries(byOutcome),
    );
    const reach = Object.fromEntries((s.reachable ?? []).map((x) => [x.network, x.reachable]));
    expect(reach).toEqual({
      ipv4: okIp.filter((n) => n.network === 'ipv4').length,
      ipv6: okIp.filter((n) => n.network === 'ipv6').length,
    });

    // Independently of the geo package: the fixture gives 127.1.0.0-127.1.1.255 to XA (AS64501,
    // "Example Cloud" via the JSON file) and ::1 to XB (AS64505, also "Example Cloud").
    const v6 = okIp.filter((n) => n.network === 'ipv6').length;
    const alpha = okIp.filter((n) => /^127\.1\.[01]\./.test(n.host)).length;
    expect(alpha).toBeGreaterThan(50);
    expect(v6).toBe(12);
    const country = Object.fromEntries((s.countries ?? []).map((c) => [c.country, c.nodes]));
    expect(country.XA).toBe(alpha);

    // Everything, through the fixture's lookup on the ground truth's addresses.
    const { db } = await loadGeoDb(path.join(fixtures, 'ip2asn-test.tsv'));
    const info = okIp.map((n) => db.lookup(n.network, n.host));
    expect(country).toEqual(Object.fromEntries(counts(info.map((i) => i?.country || '(no data)'))));
    expect(Object.keys(country).sort()).toEqual(['XA', 'XB', 'XC'].sort());
    expect(country.XB).toBe(
      v6 +
        okIp.filter((n) => /^127\.1\.2\.(\d+)$/.test(n.host) && Number(n.host.split('.')[3]) <= 127).length,
    );
    expect(Object.fromEntries((s.ases ?? []).map((a) => [a.asn, a.nodes]))).toEqual(
      Object.fromEntries(counts(info.map((i) => (i ? `AS${i.asn}` : '(no data)')))),
    );
    const cloud = alpha + v6;
    const total = okIp.length;
    expect(s.cloud).toEqual([
      { class: 'cloud', nodes: cloud, share: `${((100 * cloud) / total).toFixed(1)}%` },
      { class: 'not cloud', nodes: total - cloud, share: `${((100 * (total - cloud)) / total).toFixed(1)}%` },
      { class: '(no data)', nodes: 0, share: '0.0%' },
    ]);
    expect(s.cloud_providers).toEqual([
      { provider: 'Example Cloud', nodes: cloud, share: `${((100 * cloud) / total).toFixed(1)}%` },
    ]);

    // The table format: titled sections, a sparkline per network.
    const table = await runCli(['report', '--store', dir, '--round', 'geo1']);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/== Reachable nodes per network and round/);
    expect(table.stdout).toMatch(
      new RegExp(`ipv4\\s+█  min ${reach.ipv4}  max ${reach.ipv4}  last ${reach.ipv4}`),
    );
    expect(table.stdout).toMatch(/== Cloud vs\. non-cloud/);
    const bad = await runCli(['report', '--store', dir, '--round', "geo1' OR 1=1"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--round: bad round id/);
  });

  it('geo-backfill enriches a crawl made without the database; a second run writes nothing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-e2e-backfill-'));
    const crawl = await runCli(simnetCrawlArgs(sim, '--store', dir, '--crawl-id', 'geo2'));
    expect(crawl.status, crawl.stderr.slice(-2000)).toBe(0);
    const before = await runCli(['report', '--store', dir, '--format', 'json']);
    const okIp = sim.groundTruth.nodes.filter(
      (n) => n.expectedOutcome === 'ok' && (n.network === 'ipv4' || n.network === 'ipv6'),
    );
    // Without node_geo data the report has no geo sections.
    const sectionsBefore = JSON.parse(before.stdout).sections as Record<string, Row[]>;
    expect(sectionsBefore.reachable?.length).toBeGreaterThan(0);
    expect(sectionsBefore.countries).toBeUndefined();

    const args = ['geo-backfill', '--store', dir, '--geoip-asn-db', path.join(fixtures, 'ip2asn-test.tsv')];
    const fill = await runCli([...args, '--cloud-asns', path.join(fixtures, 'cloud-asns-test.json')]);
    expect(fill.status, fill.stderr).toBe(0);
    const m = /looked up (\d+) visited IPv4\/IPv6 addresses, wrote (\d+) node_geo rows/.exec(fill.stdout);
    expect(m, fill.stdout).not.toBeNull();
    const [looked, wrote] = [Number(m?.[1]), Number(m?.[2])];
    // Every reachable IPv4 host has data in the fixture; all IPv6 nodes share ::1.
    expect(wrote).toBeGreaterThanOrEqual(okIp.filter((n) => n.network === 'ipv4').length + 1);
    expect(looked).toBeGreaterThanOrEqual(wrote);

    const after = await runCli(['report', '--store', dir, '--format', 'json']);
    const { db } = await loadGeoDb(path.join(fixtures, 'ip2asn-test.tsv'));
    const country = Object.fromEntries(
      (JSON.parse(after.stdout).sections.countries as Row[]).map((c) => [c.country, c.nodes]),
    );
    expect(country).toEqual(
      Object.fromEntries(counts(okIp.map((n) => db.lookup(n.network, n.host)?.country || '(no data)'))),
    );

    const again = await runCli(args);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`looked up ${looked - wrote} visited .* wrote 0 node_geo rows`));
    const bad = await runCli([
      'geo-backfill',
      '--store',
      dir,
      '--geoip-asn-db',
      path.join(dir, 'missing.tsv'),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });
});
