import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Observation } from '@bitcrawl/model';
import { EMPTY_PACKED } from '@bitcrawl/protocol';
import { insertNodeGeo, insertObservations, migrate, openStore, type Store } from '@bitcrawl/storage';
import { budget, type ClickHouseServer, startClickHouse } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReport, renderReport, sparkline } from './report.ts';

const visit = (
  crawlId: string,
  t: number,
  host: string,
  outcome: Observation['outcome'],
  ua = '/Satoshi:31.0.0/',
) =>
  ({
    ts: 1_790_000_000_000 + t * 1000,
    crawlId,
    network: host.includes(':') ? 'ipv6' : 'ipv4',
    host,
    port: 8333,
    outcome,
    error:
      outcome === 'ok'
        ? ''
        : outcome === 'refused'
          ? `ECONNREFUSED: connect ECONNREFUSED ${host.includes(':') ? `[${host}]` : host}:8333`
          : 'handshake timed out',
    peer:
      outcome === 'ok'
        ? {
            protocolVersion: 70016,
            services: 1033n,
            userAgent: ua,
            startHeight: 1,
            relay: true,
            clockOffsetS: 0,
          }
        : null,
    connectMs: 1,
    handshakeMs: 1,
    addrs: EMPTY_PACKED,
  }) satisfies Observation;

const geo = (host: string, asn: number, country: string, cloud = '') => ({
  network: host.includes(':') ? 'ipv6' : 'ipv4',
  host,
  asn,
  as_org: `ORG-${asn}`,
  country,
  cloud,
  updated: '2026-09-21 00:00:00',
});

function suite(name: string, open: () => Promise<Store>) {
  describe(`bitcrawl report on ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
      await migrate(store);
    }, budget(90_000));
    afterAll(() => store?.close());

    it('is empty without rounds', async () => {
      expect(await buildReport(store)).toEqual({ rounds: [], inStore: { rounds: 0 }, sections: [] });
    });

    it('reports rounds, outcomes, errors, user agents; geo sections only with node_geo data', async () => {
      await insertObservations(store, [
        visit('ra', 0, '192.0.2.1', 'ok'),
        visit('ra', 1, '192.0.2.2', 'refused'),
        visit('rb', 100, '192.0.2.1', 'ok'),
        visit('rb', 101, '192.0.2.2', 'ok', '/btcd:0.24.0/'),
        visit('rb', 102, '192.0.2.3', 'ok'),
        visit('rb', 103, '2001:db8::1', 'ok'),
        visit('rb', 104, '192.0.2.4', 'handshake_timeout'),
        visit('rb', 105, '192.0.2.5', 'refused'),
        visit('rb', 106, '2001:db8::7', 'refused'),
      ]);
      // The newest round by default (issue 17, finding 4: rounds mixed in one store).
      const newest = await buildReport(store);
      expect(newest.rounds).toEqual(['rb']);
      expect(newest.inStore).toEqual({ rounds: 2, newest: 'rb' });
      expect(newest.sections[0]?.rows).toEqual([
        { round: 'rb', network: 'ipv4', visited: 5, reachable: 3 },
        { round: 'rb', network: 'ipv6', visited: 2, reachable: 1 },
      ]);
      expect(renderReport(newest, 'table')).toMatch(
        /^Report of round rb, of 2 rounds in the store \(newest rb; --round ID, --rounds N, --all-rounds\)\n/,
      );
      expect((await buildReport(store, { rounds: 'all' })).rounds).toEqual(['ra', 'rb']);
      let r = await buildReport(store, { rounds: 10 });
      expect(r.rounds).toEqual(['ra', 'rb']);
      expect(renderReport(r, 'table')).toMatch(
        /^Report of 2 rounds, ra to rb \(.*\), every round in the store\n/,
      );
      expect(r.sections.map((s) => s.key)).toEqual([
        'reachable',
        'outcomes',
        'errors',
        'user_agents',
        'transport',
        // The network over time (trends.ts; their figures are checked in test/e2e/timeline.test.ts).
        'rounds',
        'churn',
        'unreachable',
        'v2_share',
        'v2_adoption',
        'reliability',
      ]);
      const [reach, outcomes, errors, uas] = r.sections;
      expect(reach?.rows).toEqual([
        { round: 'ra', network: 'ipv4', visited: 2, reachable: 1 },
        { round: 'rb', network: 'ipv4', visited: 5, reachable: 3 },
        { round: 'rb', network: 'ipv6', visited: 2, reachable: 1 },
      ]);
      expect(reach?.lines).toEqual([
        'ipv4     ▃█  min 1  max 3  last 3',
        'ipv6     ▁█  min 0  max 1  last 1',
      ]);
      expect(outcomes?.rows).toContainEqual({ round: 'rb', outcome: 'ok', visits: 4, share: '57.1%' });
      expect(outcomes?.rows).toContainEqual({ round: 'ra', outcome: 'refused', visits: 1, share: '50.0%' });
      expect(errors?.rows).toEqual([
        // One row for every refusal, whichever address it named.
        { outcome: 'refused', error: 'ECONNREFUSED: connect ECONNREFUSED <addr>', visits: 3 },
        { outcome: 'handshake_timeout', error: 'handshake timed out', visits: 1 },
      ]);
      expect(uas?.rows).toEqual([
        { user_agent: '/Satoshi:31.0.0/', nodes: 3 },
        { user_agent: '/btcd:0.24.0/', nodes: 1 },
      ]);

      await insertNodeGeo(store, [
        geo('192.0.2.1', 64500, 'XA', 'Example Cloud'),
        geo('192.0.2.2', 64500, 'XA', 'Example Cloud'),
        geo('2001:db8::1', 64511, 'XB'),
        geo('192.0.2.5', 64501, 'XC'), // not reachable in rb: not counted
      ]);
      r = await buildReport(store, { round: 'rb', rounds: 10 });
      expect(r.rounds).toEqual(['rb']);
      const s = Object.fromEntries(r.sections.map((x) => [x.key, x.rows]));
      expect(s.countries).toEqual([
        { country: 'XA', nodes: 2, share: '50.0%' },
        { country: '(no data)', nodes: 1, share: '25.0%' },
        { country: 'XB', nodes: 1, share: '25.0%' },
      ]);
      expect(s.ases).toEqual([
        { asn: 'AS64500', org: 'ORG-64500', nodes: 2, share: '50.0%' },
        { asn: '(no data)', org: '', nodes: 1, share: '25.0%' },
        { asn: 'AS64511', org: 'ORG-64511', nodes: 1, share: '25.0%' },
      ]);
      expect(s.cloud).toEqual([
        { class: 'cloud', nodes: 2, share: '50.0%' },
        { class: 'not cloud', nodes: 1, share: '25.0%' },
        { class: '(no data)', nodes: 1, share: '25.0%' },
      ]);
      expect(s.cloud_providers).toEqual([{ provider: 'Example Cloud', nodes: 2, share: '50.0%' }]);

      const table = renderReport(r, 'table');
      expect(table).toMatch(
        /== Reachable IPv4\/IPv6 nodes by country \(round rb, top 15\)\ncountry\s+nodes\s+share\n/,
      );
      expect(table).toContain('ipv4     █  min 3  max 3  last 3');
      const csv = renderReport(r, 'csv');
      expect(csv).toContain('# Cloud vs. non-cloud');
      expect(csv).toContain('class,nodes,share\ncloud,2,50.0%\n');
      expect(JSON.parse(renderReport(r, 'json')).sections.cloud_providers).toEqual(s.cloud_providers);
    });

    it('refuses a round id it would have to put into SQL unchecked', async () => {
      await expect(buildReport(store, { round: 'nope', rounds: 1 })).rejects.toThrow(
        /no observations for round nope/,
      );
      await expect(buildReport(store, { round: "x' OR 1=1 --", rounds: 1 })).rejects.toMatchObject({
        code: 'REPORT',
      });
      // An id stored by something else is checked too before it goes into the next query.
      await insertObservations(store, [visit("r'c", 200, '192.0.2.9', 'ok')]);
      await expect(buildReport(store, { rounds: 10 })).rejects.toThrow(/refusing round id "r'c"/);
    });

    it('reports the real v2 share of reachable nodes against the advertised one', async () => {
      const v2 = (t: number, host: string, o: Partial<Observation>, services = 3081n): Observation => {
        const base = visit('tv', t, host, 'ok');
        return { ...base, peer: { ...(base.peer as NonNullable<Observation['peer']>), services }, ...o };
      };
      await insertObservations(store, [
        v2(300, '198.51.100.1', { transport: 'v2', v2Fallback: false, v2SessionId: '00112233aabbccdd' }),
        v2(301, '198.51.100.2', { transport: 'v2', v2Fallback: false, v2SessionId: '8899aabbccddeeff' }),
        // Advertises NODE_P2P_V2 but hung up on our key: the v1 fallback.
        v2(302, '198.51.100.3', { transport: 'v1', v2Fallback: true }),
        v2(303, '198.51.100.4', { transport: 'v1', v2Fallback: false }, 1033n),
        // Written before the transport fields: reads as v1.
        v2(304, '198.51.100.5', {}, 1033n),
        { ...visit('tv', 305, '198.51.100.6', 'refused'), transport: 'v2' },
      ]);
      const r = await buildReport(store, { round: 'tv', rounds: 1 });
      expect(r.sections.find((s) => s.key === 'transport')?.rows).toEqual([
        {
          round: 'tv',
          reachable: 5,
          advertised_v2: 3,
          advertised_share: '60.0%',
          spoke_v2: 2,
          v2_share: '40.0%',
          v1_fallback: 1,
        },
      ]);
    });
  });
}

let server: ClickHouseServer;
suite('clickhouse-server 18.16', async () => {
  server = await startClickHouse();
  return openStore({ url: server.url });
});
afterAll(() => server?.stop());
suite('embedded chdb', () => openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-report-')) }));

it('sparkline scales to the series maximum', () => {
  expect(sparkline([0, 1, 2, 4])).toBe('▁▃▅█');
  expect(sparkline([0, 0])).toBe('▁▁');
});
