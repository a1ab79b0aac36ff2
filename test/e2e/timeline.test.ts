import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Simnet, startSimnet, type TruthNode } from '@bitcrawl/simnet';
import {
  churnByRound,
  insertNodeGeo,
  insertNodeLocation,
  listRounds,
  openStore,
  queryRows,
  readRounds,
  type Store,
  unreachableEstimate,
  uptimeSessions,
  v2Adoption,
} from '@bitcrawl/storage';
import { budget } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, simnetCrawlArgs } from './cli.ts';
import { churnTruth, key, parseCsv, parseDnsseedLine, roundTruth } from './timeline-truth.ts';

/**
 * Three rounds of a simnet that changes between them: some nodes go down in round 2 and come
 * back in round 3 (returned), some are down until round 3 (new then), some go down in round 3
 * (gone). rounds, churn, sessions and the exports are checked row by row against the truth.
 */
const ROUNDS = ['tl1', 'tl2', 'tl3'];
// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: budget(300_000), hookTimeout: budget(600_000) });
const recentAt = Math.floor(Date.now() / 1000);
let sim: Simnet;
let dir: string;
let store: Store;
/** chdb keeps its directory to one process: the store is open only while a test reads it, not while the CLI runs. */
async function withStore<T>(fn: () => Promise<T>): Promise<T> {
  store = await openStore({ dir });
  try {
    return await fn();
  } finally {
    await store.close();
  }
}
const visits = new Map<string, { round: number; ok: boolean; tsMs: number }[]>();
let truths: ReturnType<typeof roundTruth>[] = [];
let byKey: Map<string, TruthNode>;

beforeAll(async () => {
  sim = await startSimnet({
    seed: 1414,
    nodes: 150,
    kinds: { core: 10, legacy: 1, silent: 0.3, garbage: 0.3 },
    ipv6: 8,
    onion: 6,
    table: { min: 60, max: 200 },
    versions: { startHeight: { min: 900_000, max: 900_600 } },
    // Away from the default 8333 and 20,000 a concurrent simnet may use.
    port: 18_000 + Math.floor(Math.random() * 9_000),
    ipv6BasePort: 10_000 + Math.floor(Math.random() * 9_000),
    recentAddrTimesAt: recentAt,
    latencyMs: { min: 0, max: 10 },
  });
  const truth = sim.groundTruth;
  byKey = new Map(truth.nodes.map((n) => [key(n), n]));
  const movable = truth.nodes.filter(
    (n) =>
      n.kind === 'core' &&
      (n.network === 'ipv4' || n.network === 'ipv6') &&
      !truth.seeds.includes(n.endpoint),
  );
  const pick = (from: number, count: number) => movable.slice(from, from + count).map((n) => n.endpoint);
  const returned = pick(0, 8);
  const fresh = pick(8, 6);
  const gone = [
    ...pick(14, 7),
    ...movable
      .filter((n) => n.network === 'ipv6')
      .map((n) => n.endpoint)
      .slice(0, 1),
  ];
  const downs = [new Set(fresh), new Set([...fresh, ...returned]), new Set(gone)];
  truths = [];
  for (const d of downs) truths.push(roundTruth(truth, d, new Set(truths.flatMap((t) => [...t.visited]))));
  dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-e2e-timeline-'));
  const everyToggled = [...new Set([...returned, ...fresh, ...gone])];
  for (const [i, id] of ROUNDS.entries()) {
    await sim.setDown(everyToggled, false);
    await sim.setDown([...(downs[i] as Set<string>)], true);
    const r = await runCli(
      simnetCrawlArgs(sim, '--proxy-onion', sim.socksProxy, '--store', dir, '--crawl-id', id),
    );
    if (r.status !== 0) throw new Error(`round ${id}: exit ${r.status}\n${r.stderr.slice(-2000)}`);
  }
  const rows = await withStore(() =>
    queryRows<{
      crawl_id: string;
      network: string;
      host: string;
      port: string;
      outcome: string;
      ts_ms: string;
    }>(
      store,
      'SELECT crawl_id, network, host, toString(port) AS port, outcome, toString(ts_ms) AS ts_ms FROM observations FINAL ORDER BY ts_ms',
    ),
  );
  for (const r of rows) {
    const list = visits.get(key(r)) ?? [];
    list.push({ round: ROUNDS.indexOf(r.crawl_id), ok: r.outcome === 'ok', tsMs: Number(r.ts_ms) });
    visits.set(key(r), list);
  }
});
afterAll(async () => {
  await sim?.stop();
});

describe('three rounds of a changing simnet', () => {
  it('each round visited what the truth says, and the rounds table holds its figures', () =>
    withStore(async () => {
      for (const [i, t] of truths.entries()) {
        const got = [...visits.entries()].filter(([, v]) => v.some((x) => x.round === i));
        expect(new Set(got.map(([k]) => k))).toEqual(t.visited);
        expect(new Set(got.filter(([, v]) => v.some((x) => x.round === i && x.ok)).map(([k]) => k))).toEqual(
          t.reachable,
        );
      }
      const rounds = await readRounds(store);
      const want = truths.flatMap((t, i) => {
        const nets = [...new Set([...t.visited].map((k) => k.split('|')[0] as string))].sort();
        return nets.map((network) => ({
          crawlId: ROUNDS[i],
          network,
          seeds: network === 'ipv4' ? sim.groundTruth.seeds.length : 0,
          visited: [...t.visited].filter((k) => k.startsWith(`${network}|`)).length,
          reachable: [...t.reachable].filter((k) => k.startsWith(`${network}|`)).length,
          failedVisits: 0,
          interrupted: false,
        }));
      });
      expect(rounds.map(({ started: _s, finished: _f, ...r }) => r)).toEqual(want);
      for (const r of rounds) expect(r.finished).toBeGreaterThanOrEqual(r.started);
    }));

  it('churn per round and network equals the truth', () =>
    withStore(async () => {
      const all = await listRounds(store);
      expect(all.map((r) => r.crawlId)).toEqual(ROUNDS);
      const churn = await churnByRound(store, all, all);
      for (const [i, id] of ROUNDS.entries()) {
        const want = [
          ...churnTruth(
            truths.map((t) => t.reachable),
            i,
          ).entries(),
        ]
          .map(([network, c]) => ({ crawlId: id, network, ...c }))
          .sort((a, b) => a.network.localeCompare(b.network));
        expect(churn.filter((c) => c.crawlId === id)).toEqual(want);
      }
      // The script's changes show: round 2 loses 8 + (already down) nodes, round 3 has new ones.
      expect(churn.find((c) => c.crawlId === 'tl3' && c.network === 'ipv4')?.new).toBeGreaterThan(0);
      expect(churn.find((c) => c.crawlId === 'tl3' && c.network === 'ipv4')?.returned).toBeGreaterThan(0);
    }));

  it('uptime sessions follow each endpoint visit by visit', () =>
    withStore(async () => {
      const last = (await listRounds(store)).at(-1) as NonNullable<
        Awaited<ReturnType<typeof listRounds>>[number]
      >;
      const sessions = await uptimeSessions(store, { round: last });
      const want: string[] = [];
      for (const [k, v] of visits) {
        let open: { start: number; lastUp: number; n: number } | undefined;
        let s = 0;
        for (const x of v) {
          const t = Math.floor(x.tsMs / 1000);
          if (x.ok) {
            if (open) {
              open.lastUp = t;
              open.n++;
            } else open = { start: t, lastUp: t, n: 1 };
          } else if (open) {
            want.push(`${k}|${++s}|${open.start}|${open.lastUp}|${t}|${open.n}`);
            open = undefined;
          }
        }
        if (open) want.push(`${k}|${++s}|${open.start}|${open.lastUp}|open|${open.n}`);
      }
      const got = sessions.map(
        (x) => `${key(x)}|${x.session}|${x.start}|${x.lastUp}|${x.open ? 'open' : x.end}|${x.visits}`,
      );
      expect(got.sort()).toEqual(want.sort());
      expect(sessions.some((x) => !x.open)).toBe(true);
    }));

  it('the unreachable estimate and v2 adoption equal the truth', () =>
    withStore(async () => {
      const est = await unreachableEstimate(store, ROUNDS);
      for (const [i, t] of truths.entries()) {
        const gossiped = new Map<string, Set<string>>();
        for (const k of t.reachable) {
          for (const a of (byKey.get(k) as TruthNode).answer) {
            if ((a.network === 'ipv4' || a.network === 'ipv6') && a.time >= recentAt - 86_400) {
              const set = gossiped.get(a.network) ?? new Set();
              set.add(a.host);
              gossiped.set(a.network, set);
            }
          }
        }
        const reachedHosts = new Set([...t.reachable].map((k) => k.split('|').slice(0, 2).join('|')));
        const want = [...gossiped.entries()]
          .map(([network, hosts]) => {
            const reachable = [...hosts].filter((h) => reachedHosts.has(`${network}|${h}`)).length;
            return {
              crawlId: ROUNDS[i],
              network,
              gossiped: hosts.size,
              reachable,
              unreachable: hosts.size - reachable,
            };
          })
          .sort((a, b) => a.network.localeCompare(b.network));
        expect(est.filter((e) => e.crawlId === ROUNDS[i])).toEqual(want);
        expect(want.some((w) => w.unreachable > 0)).toBe(true);
      }
      const v2 = await v2Adoption(store, ['tl3']);
      const fam = new Map<string, { reachable: number; v2: number }>();
      for (const k of truths[2]?.reachable ?? []) {
        const v = (byKey.get(k) as TruthNode).version;
        const m = /^\/([^:/]*)(?::(\d+))?/.exec(v?.userAgent ?? '');
        const f = m ? `${m[1]} ${m[2] ?? ''}` : (v?.userAgent ?? '');
        const row = fam.get(f) ?? { reachable: 0, v2: 0 };
        row.reachable++;
        if ((BigInt(v?.services ?? '0') & 2048n) !== 0n) row.v2++;
        fam.set(f, row);
      }
      expect(Object.fromEntries(v2.map((r) => [r.family, { reachable: r.reachable, v2: r.v2 }]))).toEqual(
        Object.fromEntries(fam),
      );
    }));

  it('export seeds, csv and bitnodes match the truth row by row, read back by parsers of their own', async () => {
    const ever = new Set(truths.flatMap((t) => [...t.reachable]));
    const third = truths[2]?.reachable as Set<string>;
    const nowMs = Math.max(...[...visits.values()].flat().map((x) => x.tsMs));
    const heights = [...third]
      .map((k) => (byKey.get(k) as TruthNode).version?.startHeight ?? 0)
      .sort((a, b) => a - b);
    const median = heights[Math.floor(heights.length / 2)] as number;
    const ipPortCounts = new Map<number, number>();
    for (const k of third) {
      const n = byKey.get(k) as TruthNode;
      if (n.network === 'ipv4' || n.network === 'ipv6')
        ipPortCounts.set(n.port, (ipPortCounts.get(n.port) ?? 0) + 1);
    }
    const defaultPort = [...ipPortCounts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
    const share = (k: string, w: number) => {
      const v = visits.get(k) ?? [];
      const weight = (x: { tsMs: number }) => Math.exp(-(nowMs - x.tsMs) / w);
      return v.filter((x) => x.ok).reduce((s, x) => s + weight(x), 0) / v.reduce((s, x) => s + weight(x), 0);
    };

    const seeds = await runCli(['export', 'seeds', '--store', dir]);
    expect(seeds.status, seeds.stderr).toBe(0);
    const [header, ...lines] = seeds.stdout.trimEnd().split('\n');
    expect(header).toMatch(
      /^# address\s+good\s+lastSuccess\s+%\(2h\)\s+%\(8h\)\s+%\(1d\)\s+%\(7d\)\s+%\(30d\)\s+blocks\s+svcs\s+version$/,
    );
    const parsed = new Map(lines.map((l) => parseDnsseedLine(l)).map((p) => [p.address, p]));
    expect(new Set(parsed.keys())).toEqual(
      new Set([...ever].map((k) => (byKey.get(k) as TruthNode).endpoint)),
    );
    let goodCount = 0;
    for (const k of ever) {
      const n = byKey.get(k) as TruthNode;
      const p = parsed.get(n.endpoint);
      const v = n.version;
      const vs = visits.get(k) ?? [];
      expect(p?.lastSuccess).toBe(Math.floor(Math.max(...vs.filter((x) => x.ok).map((x) => x.tsMs)) / 1000));
      for (const [j, w] of [7200, 28_800, 86_400, 604_800, 2_592_000].entries())
        expect(Math.abs((p?.pct[j] ?? -1) - 100 * share(k, w * 1000))).toBeLessThanOrEqual(0.006);
      expect([p?.blocks, p?.services, p?.version, p?.userAgent]).toEqual([
        v?.startHeight,
        v?.services,
        v?.protocolVersion,
        v?.userAgent,
      ]);
      // Three visits minutes apart: only an endpoint up in every round has 2 h count > 2 at > 85%.
      const good =
        vs.length === 3 &&
        vs.every((x) => x.ok) &&
        n.port === defaultPort &&
        (BigInt(v?.services ?? '0') & 1025n) !== 0n &&
        (v?.protocolVersion ?? 0) >= 70001 &&
        Math.abs((v?.startHeight ?? 0) - median) <= 288;
      expect(p?.good, n.endpoint).toBe(good);
      if (good) goodCount++;
    }
    expect(goodCount).toBeGreaterThan(0);

    const csv = await runCli(['export', 'csv', '--store', dir]);
    expect(csv.status, csv.stderr).toBe(0);
    const [cols, ...rows] = parseCsv(csv.stdout);
    const col = (name: string) => (cols as string[]).indexOf(name);
    expect(rows).toHaveLength(visits.size);
    for (const r of rows) {
      const k = `${r[col('network')]}|${r[col('host')]}|${r[col('port')]}`;
      const v = visits.get(k) ?? [];
      expect([Number(r[col('visits')]), Number(r[col('successes')])], k).toEqual([
        v.length,
        v.filter((x) => x.ok).length,
      ]);
      expect(r[col('good')]).toBe(parsed.get((byKey.get(k) as TruthNode).endpoint)?.good ? '1' : '0');
    }

    // GeoIP for one reachable IPv4 node: its snapshot entry carries it.
    const geoNode = [...third]
      .map((k) => byKey.get(k) as TruthNode)
      .find((n) => n.network === 'ipv4') as TruthNode;
    await withStore(async () => {
      await insertNodeGeo(store, [
        {
          network: 'ipv4',
          host: geoNode.host,
          asn: 64500,
          as_org: 'Example AS',
          country: 'XA',
          cloud: '',
          updated: '2026-01-01 00:00:00',
        },
      ]);
      await insertNodeLocation(store, [
        {
          network: 'ipv4',
          host: geoNode.host,
          city: 'Exampleton',
          region: '',
          country: 'XB',
          latitude: 12.5,
          longitude: -7.25,
          has_location: 1,
          timezone: 'Etc/UTC',
          updated: '2026-01-01 00:00:00',
        },
      ]);
    });
    const bn = await runCli(['export', 'bitnodes', '--store', dir]);
    expect(bn.status, bn.stderr).toBe(0);
    const snap = JSON.parse(bn.stdout) as {
      timestamp: number;
      total_nodes: number;
      latest_height: number;
      nodes: Record<string, unknown[]>;
    };
    expect([snap.timestamp, snap.total_nodes, snap.latest_height]).toEqual([
      Math.floor(nowMs / 1000),
      third.size,
      median,
    ]);
    expect(new Set(Object.keys(snap.nodes))).toEqual(
      new Set([...third].map((k) => (byKey.get(k) as TruthNode).endpoint)),
    );
    for (const k of third) {
      const n = byKey.get(k) as TruthNode;
      const v = n.version;
      const vs = visits.get(k) ?? [];
      // Connected since: the first success after the last failure.
      let since = 0;
      for (const x of vs) since = x.ok ? since || Math.floor(x.tsMs / 1000) : 0;
      const geo = n === geoNode;
      expect(snap.nodes[n.endpoint], n.endpoint).toEqual([
        v?.protocolVersion,
        v?.userAgent,
        since,
        Number(v?.services),
        v?.startHeight,
        null,
        geo ? 'Exampleton' : null,
        geo ? 'XB' : null,
        geo ? 12.5 : null,
        geo ? -7.25 : null,
        geo ? 'Etc/UTC' : null,
        n.network === 'onion' ? 'TOR' : geo ? 'AS64500' : null,
        n.network === 'onion' ? 'Tor network' : geo ? 'Example AS' : null,
      ]);
    }
    expect(Object.keys(snap.nodes).some((e) => e.endsWith('.onion:8333') || /\.onion:\d+$/.test(e))).toBe(
      true,
    );
  });

  it('report --format json gives the trends as arrays (--all-rounds; by default the newest round)', async () => {
    const newest = await runCli(['report', '--store', dir, '--format', 'json']);
    expect(newest.status, newest.stderr).toBe(0);
    const only = JSON.parse(newest.stdout) as {
      rounds: string[];
      sections: Record<string, { round?: string }[]>;
    };
    expect(only.rounds).toEqual([ROUNDS.at(-1)]);
    expect(new Set(only.sections.rounds?.map((x) => x.round))).toEqual(new Set([ROUNDS.at(-1)]));
    const r = await runCli(['report', '--store', dir, '--format', 'json', '--all-rounds']);
    expect(r.status, r.stderr).toBe(0);
    const { sections } = JSON.parse(r.stdout) as { sections: Record<string, Record<string, unknown>[]> };
    const churn = ROUNDS.flatMap((id, i) =>
      [
        ...churnTruth(
          truths.map((t) => t.reachable),
          i,
        ).entries(),
      ]
        .sort((a, b) => a[0].localeCompare(b[0]))
        .map(([network, c]) => ({ round: id, network, ...c })),
    );
    expect(sections.churn).toEqual(churn);
    expect(sections.rounds?.map((x) => [x.round, x.network, x.visited])).toEqual(
      truths.flatMap((t, i) =>
        [...new Set([...t.visited].map((k) => k.split('|')[0] as string))]
          .sort()
          .map((n) => [ROUNDS[i], n, [...t.visited].filter((k) => k.startsWith(`${n}|`)).length]),
      ),
    );
    expect(sections.unreachable?.length).toBeGreaterThan(0);
    expect(sections.v2_share?.map((x) => x.round)).toEqual(ROUNDS);
    expect(sections.reliability?.map((x) => x.network)).toEqual(['ipv4', 'ipv6', 'onion']);
  });
});
