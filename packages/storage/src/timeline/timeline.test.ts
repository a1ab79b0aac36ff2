import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Observation } from '@bitcrawl/model';
import { EMPTY_PACKED, packAddrs } from '@bitcrawl/protocol';
import { budget, type ClickHouseServer, startClickHouse } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultMigrationsDir, migrate } from '../migrate.ts';
import { queryRows } from '../queries.ts';
import { openStore, type Store } from '../store.ts';
import { insertNodeGeo, insertObservations } from '../writer.ts';
import { roundReachableHeight, type SnapshotNode, streamSnapshotNodes } from './bitnodes.ts';
import { insertNodeLocation, locationBreakdown } from './location.ts';
import { nodeReliability, streamNodeReliability, toNodeReliability } from './reliability.ts';
import { reliabilitySql } from './reliability-sql.ts';
import { applyGossipRetention } from './retention.ts';
import { insertRounds, listRounds, type RoundSpan, readRounds } from './rounds.ts';
import { uptimeSessions } from './sessions.ts';
import { sessionsSql } from './sessions-sql.ts';
import { churnByRound, unreachableEstimate } from './trends.ts';
import { renderViews, VIEW_PARTS } from './views.ts';

/**
 * Scripted visit histories against values worked out by hand from the definition: each visit
 * weighs exp(-age / W), age = now - t; reliability = sum(weight of ok visits) / sum(weights).
 * now is the last visit of round t3.
 */
const T = 1_790_000_000_000;
const S = 1000; // ms per second
const e = Math.exp;
const MEDIAN = 900_000;

interface Visit {
  host: string;
  ageS: number;
  ok: boolean;
  round?: string;
  port?: number;
  services?: bigint;
  version?: number;
  height?: number;
}
const visit = (v: Visit): Observation => ({
  ts: T - v.ageS * S,
  crawlId: v.round ?? (v.ageS === 0 ? 't3' : v.ageS <= 3600 ? 't2' : 't1'),
  network: 'ipv4',
  host: v.host,
  port: v.port ?? 8333,
  outcome: v.ok ? 'ok' : 'refused',
  error: v.ok ? '' : 'ECONNREFUSED',
  peer: v.ok
    ? {
        protocolVersion: v.version ?? 70016,
        services: v.services ?? 0x409n,
        userAgent: '/Satoshi:30.0.0/',
        startHeight: v.height ?? MEDIAN,
        relay: true,
        clockOffsetS: 0,
      }
    : null,
  connectMs: 1,
  handshakeMs: 1,
  addrs: EMPTY_PACKED,
});
/** Three successes 0, 10 and 20 minutes before now: 2 h count 1 + e^-1/12 + e^-1/6 = 2.77 > 2. */
const threeUp = (host: string, extra: Partial<Visit> = {}) =>
  [0, 600, 1200].map((ageS) => visit({ host, ageS, ok: true, ...extra }));

const HISTORY: Observation[] = [
  // A: up 4 h ago, down 2 h ago (exactly one 2 h window), up now; and a visit after now (not counted).
  visit({ host: '10.0.0.1', ageS: 14_400, ok: true }),
  visit({ host: '10.0.0.1', ageS: 7200, ok: false, round: 't1' }),
  visit({ host: '10.0.0.1', ageS: 0, ok: true }),
  { ...visit({ host: '10.0.0.1', ageS: 0, ok: false, round: 't4' }), ts: T + 1 },
  ...threeUp('10.0.0.2'), // good by the 2 h rule
  ...threeUp('10.0.0.3', { port: 8334 }), // not the default port
  ...threeUp('10.0.0.4', { services: 8n }), // WITNESS only: serves no blocks
  ...threeUp('10.0.0.5', { services: 1024n }), // NETWORK_LIMITED is enough
  ...threeUp('10.0.0.6', { version: 70000 }), // below 70001
  ...threeUp('10.0.0.7', { height: MEDIAN - 288 }), // at the edge of "near the median"
  ...threeUp('10.0.0.8', { height: MEDIAN - 289 }), // just past it
  // 100% but only two visits: 2 h count 1 + e^-1/12 < 2.
  ...[0, 600].map((ageS) => visit({ host: '10.0.0.9', ageS, ok: true })),
  // Up, up, down: 2 h reliability 0.69 < 0.85, 8 h count 2.94 < 4.
  visit({ host: '10.0.0.10', ageS: 0, ok: true }),
  visit({ host: '10.0.0.10', ageS: 600, ok: true }),
  visit({ host: '10.0.0.10', ageS: 1200, ok: false }),
  // Sessions: down, up, up, down, down, up, up (oldest first), 7 visits an hour apart.
  ...[false, true, true, false, false, true, true].map((ok, i) =>
    visit({ host: '10.0.0.11', ageS: (6 - i) * 3600, ok, round: `s${i}` }),
  ),
];

function suite(name: string, open: () => Promise<Store>) {
  describe(name, () => {
    let store: Store;
    let t3: RoundSpan;
    beforeAll(async () => {
      store = await open();
      await migrate(store);
      await insertObservations(store, HISTORY);
      t3 = { crawlId: 't3', firstVisit: T, lastVisit: T };
    }, budget(90_000));
    afterAll(() => store?.close());

    it('reliability per window equals the hand-computed weighted shares, window edges included', async () => {
      const rows = await nodeReliability(store, { round: t3 });
      const a = rows.find((r) => r.host === '10.0.0.1');
      // Visits 4 h (ok), 2 h (failed) and 0 h (ok) before now; the one 1 ms after now is not counted.
      const share = (w: number) => (1 + e(-14_400 / w)) / (1 + e(-7200 / w) + e(-14_400 / w));
      expect(a?.visits).toBe(3);
      expect(a?.successes).toBe(2);
      expect(a?.reliability['2h']).toBeCloseTo((1 + e(-2)) / (1 + e(-1) + e(-2)), 12);
      expect(a?.weightedVisits['2h']).toBeCloseTo(1 + e(-1) + e(-2), 12);
      expect(a?.reliability['8h']).toBeCloseTo(share(28_800), 12);
      expect(a?.reliability['1d']).toBeCloseTo(share(86_400), 12);
      expect(a?.reliability['7d']).toBeCloseTo(share(604_800), 12);
      expect(a?.reliability['30d']).toBeCloseTo(share(2_592_000), 12);
      expect(a?.weightedVisits['30d']).toBeCloseTo(1 + e(-7200 / 2_592_000) + e(-14_400 / 2_592_000), 12);
      expect([a?.firstSeen, a?.lastSeen, a?.lastSuccess]).toEqual([(T - 14_400_000) / S, T / S, T / S]);
      expect(a?.upSince).toBe(T / S);
      const j = rows.find((r) => r.host === '10.0.0.10');
      expect(j?.reliability['2h']).toBeCloseTo(
        (1 + e(-600 / 7200)) / (1 + e(-600 / 7200) + e(-1200 / 7200)),
        12,
      );
      expect(j?.upSince).toBe((T - 600_000) / S);
      // Seen from round t4 (1 ms later) the failed visit counts, with weight 1.
      const later = await nodeReliability(store, {
        round: { crawlId: 't4', firstVisit: T + 1, lastVisit: T + 1 },
      });
      const a4 = later.find((r) => r.host === '10.0.0.1');
      expect(a4?.visits).toBe(4);
      expect(a4?.upSince).toBe(0);
      const w4 = (ms: number) => e(-ms / 7_200_000);
      expect(a4?.reliability['2h']).toBeCloseTo(
        (w4(1) + w4(14_400_001)) / (1 + w4(1) + w4(7_200_001) + w4(14_400_001)),
        12,
      );
    });

    it('good follows the seeders rule: weighted visits and reliability, port, services, version, height', async () => {
      const rows = await nodeReliability(store, { round: t3 });
      const good = rows.filter((r) => r.good).map((r) => r.host);
      expect(good).toEqual(['10.0.0.2', '10.0.0.5', '10.0.0.7']);
      // The same with the default port given instead of inferred.
      const given = await nodeReliability(store, { round: t3, defaultPort: 8334 });
      expect(given.filter((r) => r.good).map((r) => r.host)).toEqual(['10.0.0.3']);
    });

    it('uptime sessions: runs of successes, each closed by the first failed visit', async () => {
      const s = await uptimeSessions(store, { round: t3, host: '10.0.0.11' });
      const at = (h: number) => (T - h * 3_600_000) / S;
      expect(
        s.map(({ session, start, lastUp, end, open, visits }) => ({
          session,
          start,
          lastUp,
          end,
          open,
          visits,
        })),
      ).toEqual([
        { session: 1, start: at(5), lastUp: at(4), end: at(3), open: false, visits: 2 },
        { session: 2, start: at(1), lastUp: at(0), end: 0, open: true, visits: 2 },
      ]);
      const a = await uptimeSessions(store, { round: t3, host: '10.0.0.1' });
      expect(a.map((x) => [x.start, x.end, x.open, x.visits])).toEqual([
        [(T - 14_400_000) / S, (T - 7_200_000) / S, false, 1],
        [T / S, 0, true, 1],
      ]);
      // As of t4 the visit 1 ms after t3 closes the second session.
      const a4 = await uptimeSessions(store, {
        round: { crawlId: 't4', firstVisit: T + 1, lastVisit: T + 1 },
        host: '10.0.0.1',
      });
      expect(a4.map((x) => [x.end, x.open])).toEqual([
        [(T - 7_200_000) / S, false],
        [Math.floor((T + 1) / S), false],
      ]);
      // A host never reachable has no session.
      expect(await uptimeSessions(store, { round: t3, host: '10.9.9.9' })).toEqual([]);
    });

    it('churn: new, gone, returned and stayed against the previous round', async () => {
      const rounds = (await listRounds(store)).filter((r) => /^s\d$/.test(r.crawlId));
      expect(rounds.map((r) => r.crawlId)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5', 's6']);
      const churn = await churnByRound(store, rounds, rounds.slice(1));
      expect(churn.map((c) => [c.crawlId, c.new, c.gone, c.returned, c.stayed])).toEqual([
        ['s1', 1, 0, 0, 0],
        ['s2', 0, 0, 0, 1],
        ['s3', 0, 1, 0, 0],
        ['s5', 0, 0, 1, 0],
        ['s6', 0, 0, 0, 1],
      ]);
    });

    it('the views are the storage functions as of the newest visit', async () => {
      // The migration spells no SELECT of its own: it names the ones storage builds.
      const file = '0008_reliability_views.sql';
      const sql = readFileSync(path.join(defaultMigrationsDir(), file), 'utf8');
      expect(sql).toMatch(/node_reliability AS\s+\{\{node_reliability\}\};/);
      expect(sql).toMatch(/uptime_sessions AS\s+\{\{uptime_sessions\}\};/);
      const rendered = renderViews(sql, file);
      expect(rendered).toContain(reliabilitySql(VIEW_PARTS));
      expect(rendered).toContain(sessionsSql({ nowMs: VIEW_PARTS.nowMs }));
      expect(() => renderViews('CREATE VIEW v AS {{nodes}}', '0099_x.sql')).toThrow(
        'migration 0099_x.sql names {{nodes}}, which storage does not build',
      );
      const t4 = { crawlId: 't4', firstVisit: T + 1, lastVisit: T + 1 };
      const view = (
        await queryRows(store, 'SELECT * FROM node_reliability ORDER BY network, host, port')
      ).map(toNodeReliability);
      // t4 has no reachable node: no default port, no median, so none is good; the figures match.
      expect(view).toEqual(await nodeReliability(store, { round: t4 }));
      const [n] = await queryRows<{ n: string }>(store, 'SELECT count() AS n FROM uptime_sessions');
      expect(Number(n?.n)).toBe(2 + 7 + 1 + 1 + 2);
      const paged: string[] = [];
      for await (const page of streamNodeReliability(store, {
        round: t3,
        pageSize: 4,
        filter: 'successes > 0',
      }))
        paged.push(...page.map((r) => r.host));
      expect(paged.sort()).toEqual(view.map((r) => r.host).sort());
    });

    it('snapshot nodes: the round reachable nodes with their geography, paged', async () => {
      await insertNodeGeo(store, [
        {
          network: 'ipv4',
          host: '10.0.0.2',
          asn: 64500,
          as_org: 'Org',
          country: 'XA',
          cloud: '',
          updated: '2026-01-01 00:00:00',
        },
      ]);
      await insertNodeLocation(store, [
        {
          network: 'ipv4',
          host: '10.0.0.2',
          city: 'C',
          region: 'R',
          country: 'XB',
          latitude: 1.5,
          longitude: -2.5,
          has_location: 1,
          timezone: 'Etc/UTC',
          updated: '2026-01-01 00:00:00',
        },
      ]);
      const got: SnapshotNode[] = [];
      for await (const page of streamSnapshotNodes(store, { round: t3, pageSize: 3 })) got.push(...page);
      expect(got.map((n) => n.host).sort()).toEqual([
        '10.0.0.1',
        '10.0.0.10',
        '10.0.0.2',
        '10.0.0.3',
        '10.0.0.4',
        '10.0.0.5',
        '10.0.0.6',
        '10.0.0.7',
        '10.0.0.8',
        '10.0.0.9',
      ]);
      const two = got.find((n) => n.host === '10.0.0.2');
      expect([
        two?.asn,
        two?.asOrg,
        two?.country,
        two?.city,
        two?.latitude,
        two?.longitude,
        two?.timezone,
      ]).toEqual([64500, 'Org', 'XB', 'C', 1.5, -2.5, 'Etc/UTC']);
      const one = got.find((n) => n.host === '10.0.0.1');
      expect([one?.asn, one?.country, one?.latitude, one?.upSince]).toEqual([0, '', undefined, T / S]);
      expect(await roundReachableHeight(store, t3)).toEqual({ reachable: 10, medianHeight: MEDIAN });
      expect(await locationBreakdown(store, 't3')).toEqual({
        countries: [
          { country: '', nodes: 9 },
          { country: 'XB', nodes: 1 },
        ],
        cities: [
          { city: '', country: '', nodes: 9 },
          { city: 'C', country: 'XB', nodes: 1 },
        ],
      });
    });

    it('unreachable estimate: distinct IP hosts gossiped in the round as seen within 24 h, less those reachable in it', async () => {
      const at = T - 3_600_000;
      const sec = Math.floor(at / 1000);
      const entry = (host: string, ageS: number, network: 'ipv4' | 'ipv6' | 'onion' = 'ipv4') => ({
        network,
        host,
        port: 8333,
        services: 9n,
        time: sec - ageS,
      });
      const onion = 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion';
      const source = (host: string, entries: ReturnType<typeof entry>[]): Observation => ({
        ...visit({ host, ageS: 3600, ok: true, round: 'u1' }),
        addrs: packAddrs(entries),
      });
      await insertObservations(store, [
        source('10.1.0.1', [
          entry('10.1.0.2', 3600),
          entry('10.1.0.3', 86_401), // advertised more than 24 h before the gossip
          entry('10.1.0.4', 86_400), // exactly 24 h: counted
          entry('10.1.0.5', -601), // more than 10 min in the future
          entry('2001:db8::1', 0, 'ipv6'),
          entry(onion, 0, 'onion'), // not an IP address
        ]),
        source('10.1.0.9', [entry('10.1.0.2', 10), entry('10.1.0.4', 5)]), // the same hosts again
        { ...visit({ host: '10.1.0.2', ageS: 3600, ok: true, round: 'u1' }), ts: at + 1 },
        { ...visit({ host: '10.1.0.4', ageS: 3600, ok: false, round: 'u1' }), ts: at + 2 },
        { ...visit({ host: '10.1.0.6', ageS: 3600, ok: true, round: 'u0' }), ts: at + 3 }, // another round
      ]);
      // A row written before the packed gossip table (migration 0006) counts too.
      const dt = new Date(at).toISOString().slice(0, 19).replace('T', ' ');
      await store.client.command({
        query: `INSERT INTO addr_gossip_v1 (ts, crawl_id, src_network, src_host, src_port, network, host, port, services, advertised_ts)
          VALUES ('${dt}', 'u1', 'ipv4', '10.1.0.8', 8333, 'ipv4', '10.1.0.6', 8333, 9, '${dt}')`,
        clickhouse_settings: store.settings,
      });
      expect(await unreachableEstimate(store, ['u1'])).toEqual([
        // 10.1.0.2, 10.1.0.4 and 10.1.0.6 gossiped as recent; only 10.1.0.2 reachable in u1.
        { crawlId: 'u1', network: 'ipv4', gossiped: 3, reachable: 1, unreachable: 2 },
        { crawlId: 'u1', network: 'ipv6', gossiped: 1, reachable: 0, unreachable: 1 },
      ]);
    });

    it('rounds rows round-trip; gossip retention applies', async () => {
      const row = {
        crawlId: 'rr1',
        network: 'ipv4',
        started: T - 60_000,
        finished: T,
        seeds: 3,
        visited: 10,
        reachable: 7,
        failedVisits: 1,
        interrupted: true,
      };
      await insertRounds(store, [row, { ...row, network: 'onion', seeds: 0, interrupted: false }]);
      expect(await readRounds(store)).toEqual([
        row,
        { ...row, network: 'onion', seeds: 0, interrupted: false },
      ]);
      expect(await applyGossipRetention(store, 30)).toEqual({
        how: store.engine === 'chdb' ? 'ttl' : 'delete',
        tables: ['addr_gossip_v1', 'gossip'],
      });
    });
  });
}

let server: ClickHouseServer;
suite('clickhouse-server 18.16', async () => {
  server = await startClickHouse();
  return openStore({ url: server.url });
});
afterAll(() => server?.stop());

suite('embedded chdb', () => openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-timeline-')) }));
