import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Observation } from '@bitcrawl/model';
import { EMPTY_PACKED } from '@bitcrawl/protocol';
import {
  formatDateTime,
  insertNodeGeo,
  insertObservations,
  migrate,
  openStore,
  queryRows,
  type Store,
} from '@bitcrawl/storage';
import { silentLogger } from '@bitcrawl/telemetry';
import { type ClickHouseServer, startClickHouse } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGeoEnricher } from './geo.ts';
import { backfillGeo } from './geo-backfill.ts';

const fixtures = path.resolve(import.meta.dirname, '../../../packages/geo/fixtures');
const T0 = 1_790_000_000_000;

const visit = (network: Observation['network'], host: string, port: number, tsS: number): Observation => ({
  ts: T0 + tsS * 1000,
  crawlId: 'old-round',
  network,
  host,
  port,
  outcome: 'ok',
  error: '',
  peer: null,
  connectMs: 1,
  handshakeMs: 0,
  addrs: EMPTY_PACKED,
});

// Sorted by (network, host) the addresses without data (10.0.0.1, 127.0.0.9: AS 0, 203.0.113.5:
// not routed) sit between ones with data, so paging past them is exercised with 3 per page.
const visits = [
  visit('ipv4', '10.0.0.1', 8333, 1),
  visit('ipv4', '127.0.0.9', 8333, 2),
  visit('ipv4', '127.1.1.5', 8333, 3),
  visit('ipv4', '127.1.1.5', 8334, 9), // newest visit of 127.1.1.5: its `updated`
  visit('ipv4', '127.1.2.200', 8333, 4),
  visit('ipv4', '127.2.0.1', 8333, 5),
  visit('ipv4', '192.0.2.3', 8333, 6), // enriched already (below): left alone unless `all`
  visit('ipv4', '198.51.100.7', 8333, 7),
  visit('ipv4', '203.0.113.5', 8333, 8),
  visit('ipv6', '::1', 20001, 10),
  visit('onion', `${'a'.repeat(56)}.onion`, 8333, 11), // not an IP network: never looked up
];

let ch: ClickHouseServer;
beforeAll(async () => {
  ch = await startClickHouse();
}, 90_000);
afterAll(async () => {
  await ch?.stop();
});

const geoTable = async (store: Store) =>
  (
    await queryRows<Record<string, string | number>>(
      store,
      'SELECT host, asn, as_org, country, cloud, toUnixTimestamp(updated) AS t FROM node_geo FINAL ORDER BY network, host',
    )
  ).map((r) => `${r.host} AS${r.asn} ${r.as_org} ${r.country} ${r.cloud || '-'} +${Number(r.t) - T0 / 1000}`);

describe.each([
  ['clickhouse-server 18.16', () => openStore({ url: ch.url })],
  ['embedded chdb', () => openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-backfill-chdb-')) })],
])('geo backfill on %s', (_name, open) => {
  it('enriches the visited addresses without a node_geo row, page by page; `all` re-writes every one', async () => {
    const store = await open();
    try {
      await migrate(store);
      await insertObservations(store, visits);
      const old = { network: 'ipv4', host: '192.0.2.3', asn: 1, as_org: 'OLD', country: 'QQ', cloud: '' };
      // As the ingester wrote it with an older database: `updated` is the address's newest visit.
      await insertNodeGeo(store, [{ ...old, updated: formatDateTime(T0 + 6000) }]);
      // The ingester's no-data row for an address its (older) database did not know: still
      // unanswered, so a plain backfill with this database fills it in.
      const unknown = { network: 'ipv4', host: '198.51.100.7', asn: 0, as_org: '', country: '', cloud: '' };
      await insertNodeGeo(store, [{ ...unknown, updated: formatDateTime(T0 + 1000) }]);
      const geo = await loadGeoEnricher(
        {
          geoDb: path.join(fixtures, 'ip2asn-test.tsv'),
          cloudAsns: path.join(fixtures, 'cloud-asns-test.json'),
        },
        silentLogger(),
      );
      if (!geo) throw new Error('no enricher');
      const pages: number[] = [];
      const first = await backfillGeo(store, geo, { pageSize: 3, onPage: (d) => pages.push(d.addresses) });
      // 9 IP addresses visited, 1 enriched already; 5 of the other 8 have data.
      expect(first).toEqual({ addresses: 8, written: 5, withoutData: 3 });
      expect(pages).toEqual([3, 6, 8]);
      expect(await geoTable(store)).toEqual([
        '127.1.1.5 AS64501 SIMNET-ALPHA example loopback AS XA Example Cloud +9',
        '127.1.2.200 AS64503 SIMNET-CHARLIE XC - +4',
        '127.2.0.1 AS64504 SIMNET-REST XD - +5',
        '192.0.2.3 AS1 OLD QQ - +6',
        '198.51.100.7 AS64510 EXAMPLE-NET-2 XY - +7',
        '::1 AS64505 SIMNET-V6 XB Example Cloud +10',
      ]);

      // Again: only the three addresses without data are still missing; nothing is written.
      expect(await backfillGeo(store, geo, { pageSize: 3 })).toEqual({
        addresses: 3,
        written: 0,
        withoutData: 3,
      });

      // An older database knew 10.0.0.1; the new one does not. Once `all` has run, "no data" must
      // be the newest answer, not the old database's.
      const stale = {
        network: 'ipv4',
        host: '10.0.0.1',
        asn: 7,
        as_org: 'STALE',
        country: 'QS',
        cloud: 'Old Cloud',
      };
      await insertNodeGeo(store, [{ ...stale, updated: formatDateTime(T0 + 1000) }]);

      // `all`: every address is looked up again and the old answer is replaced, as the report
      // and nodes_geo read it (argMax by `updated`, no FINAL), before any merge.
      // 9 addresses: 6 with data, 3 no-data rows.
      expect(await backfillGeo(store, geo, { pageSize: 4, all: true })).toEqual({
        addresses: 9,
        written: 9,
        withoutData: 3,
      });
      const gone = await queryRows<Record<string, string | number>>(
        store,
        `SELECT argMax(asn, updated) AS asn, argMax(as_org, updated) AS org, argMax(cloud, updated) AS cloud
         FROM node_geo WHERE network = 'ipv4' AND host = '10.0.0.1'`,
      );
      expect(gone.map((r) => ({ ...r, asn: Number(r.asn) }))).toEqual([{ asn: 0, org: '', cloud: '' }]);
      const latest = await queryRows<Record<string, string | number>>(
        store,
        `SELECT argMax(as_org, updated) AS org, argMax(country, updated) AS country FROM node_geo
         WHERE network = 'ipv4' AND host = '192.0.2.3'`,
      );
      expect(latest).toEqual([{ org: 'EXAMPLE-NET', country: 'ZZ' }]);
      // ... because the new row is newer than the old one, not tied with it (a tie is a coin toss).
      const newer = await queryRows<{ n: string | number }>(
        store,
        `SELECT count() AS n FROM node_geo WHERE host = '192.0.2.3' AND updated > toDateTime('${formatDateTime(T0 + 6000)}', 'UTC')`,
      );
      expect(Number(newer[0]?.n)).toBe(1);

      // A host that is not an address (a visit refused as not_dialable keeps it as given) is
      // looked up and gets no row; as a page key it is quoted safely. One address per page.
      await insertObservations(store, [visit('ipv4', "9.9.9.9'\\x", 8333, 12)]);
      // No-data rows (written by `all`) still count as unanswered: those three and the new host.
      expect(await backfillGeo(store, geo, { pageSize: 1 })).toEqual({
        addresses: 4,
        written: 0,
        withoutData: 4,
      });
      expect(await backfillGeo(store, geo, { pageSize: 1, all: true })).toEqual({
        addresses: 10,
        written: 10,
        withoutData: 4,
      });
    } finally {
      await store.close();
    }
  });
});
