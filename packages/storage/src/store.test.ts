import { copyFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type GossipedAddress, MAX_DATETIME_S, type Observation } from '@bitcrawl/model';
import { onionFromPubkey, packAddrs, unpackAddrs } from '@bitcrawl/protocol';
import { budget, type ClickHouseServer, startClickHouse } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOSSIP_COLUMNS } from './gossip-rows.ts';
import { insertIsolatingRejects } from './isolate.ts';
import { defaultMigrationsDir, migrate } from './migrate.ts';
import { queryRows, roundSummary } from './queries.ts';
import { clickhouseErrorCode, isRejectedData } from './rejection.ts';
import { openStore, type Store } from './store.ts';
import { insertNodeGeo, insertObservations, observationRows } from './writer.ts';

const obs = (host: string, outcome: Observation['outcome'], addrs = 0, crawlId = 'r1'): Observation => ({
  ts: 1_790_000_000_123,
  crawlId,
  network: 'ipv4',
  host,
  port: 8333,
  outcome,
  error: outcome === 'ok' ? '' : 'ECONNREFUSED',
  peer:
    outcome === 'ok'
      ? {
          protocolVersion: 70016,
          services: 0xffff_ffff_ffff_ffffn,
          userAgent: '/Satoshi:31.0.0/',
          startHeight: 900_001,
          relay: true,
          clockOffsetS: -3,
        }
      : null,
  connectMs: 12,
  handshakeMs: outcome === 'ok' ? 40 : 0,
  addrs: packAddrs(
    Array.from({ length: addrs }, (_, i) => ({
      network: i % 2 ? ('ipv4' as const) : ('onion' as const),
      host: i % 2 ? `10.0.0.${i}` : onionFromPubkey(new Uint8Array(32).fill(i)),
      port: 8333 + i,
      services: i === 1 ? 0xffff_ffff_ffff_ffffn : 1033n,
      time: 1_790_000_000 + i,
    })),
  ),
});

function suite(name: string, open: () => Promise<Store>) {
  describe(name, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
    }, budget(90_000));
    afterAll(() => store?.close());

    it('applies the migrations once, idempotently', async () => {
      const first = await migrate(store);
      expect(first).toEqual([
        '0001_observations',
        '0002_addr_gossip',
        '0003_views',
        '0004_round_summary',
        '0005_node_geo',
        '0006_gossip',
        '0007_rounds',
        '0008_reliability_views',
        '0009_node_location',
        '0010_transport',
      ]);
      expect(await migrate(store)).toEqual([]);
    });

    it('ingests observations and gossip; a re-delivered batch leaves no duplicate visible rows', async () => {
      const batch = [obs('1.2.3.4', 'ok', 3), obs('1.2.3.5', 'refused'), obs('1.2.3.6', 'ok', 2)];
      expect(await insertObservations(store, batch)).toEqual({ observations: 3, gossip: 5 });
      await insertObservations(store, batch);
      const [row] = await queryRows<{ n: string; u: string }>(
        store,
        `SELECT count() AS n FROM observations FINAL WHERE crawl_id = 'r1'`,
      );
      expect(Number(row?.n)).toBe(3);
      const [g] = await queryRows<{ n: string }>(
        store,
        `SELECT count() AS n FROM addr_gossip WHERE crawl_id = 'r1'`,
      );
      expect(Number(g?.n)).toBe(5);
      // Every edge as it was gossiped: network, host, port, 64-bit services, advertised time.
      const edges = await queryRows<Record<string, string | number>>(
        store,
        `SELECT src_host, network, host, port, services, toUInt32(advertised_ts) AS t FROM addr_gossip
         WHERE crawl_id = 'r1' AND src_host = '1.2.3.4' ORDER BY port`,
      );
      expect(
        edges.map(({ t, ...e }) => ({
          ...e,
          port: Number(e.port),
          services: BigInt(e.services as string),
          time: Number(t),
        })),
      ).toEqual(
        unpackAddrs((batch[0] as Observation).addrs).map((a) => ({
          src_host: '1.2.3.4',
          network: a.network,
          host: a.host,
          port: a.port,
          services: a.services,
          time: a.time,
        })),
      );
      const [ok] = await queryRows<Record<string, string | number>>(
        store,
        `SELECT services, user_agent, start_height, relay, clock_offset_s, toUnixTimestamp(ts) AS t FROM observations WHERE host = '1.2.3.4' LIMIT 1`,
      );
      expect(ok).toMatchObject({
        services: '18446744073709551615',
        user_agent: '/Satoshi:31.0.0/',
        relay: 1,
      });
      expect(Number(ok?.t)).toBe(1_790_000_000);
      expect(Number(ok?.start_height)).toBe(900_001);
    });

    it('writes gossip as the columns and types the migrated table has', async () => {
      const cols = await queryRows<{ name: string; type: string }>(store, 'DESCRIBE TABLE gossip');
      expect(cols.map((c) => [c.name, c.type])).toEqual(GOSSIP_COLUMNS.map(([n, t]) => [n, t]));
    });

    it('the round summary and the nodes view answer', async () => {
      const rows = await roundSummary(store, 'r1');
      expect(rows.map((r) => [r.network, Number(r.visited), Number(r.reachable)])).toEqual([['ipv4', 3, 2]]);
      await insertObservations(store, [{ ...obs('1.2.3.5', 'ok'), crawlId: 'r2', ts: 1_790_000_100_000 }]);
      const [n] = await queryRows<{ outcome: string; crawl_id: string }>(
        store,
        `SELECT outcome, crawl_id FROM nodes WHERE host = '1.2.3.5'`,
      );
      expect(n).toEqual({ outcome: 'ok', crawl_id: 'r2' });
    });

    it('node_geo keeps the newest row per address and nodes_geo joins it to nodes', async () => {
      const geo = (host: string, asn: number, country: string, cloud: string, updated: string) => ({
        network: 'ipv4',
        host,
        asn,
        as_org: `AS-${asn}`,
        country,
        cloud,
        updated,
      });
      await insertNodeGeo(store, [
        geo('1.2.3.4', 64500, 'XA', '', '2026-01-01 00:00:00'),
        geo('1.2.3.5', 64501, 'XB', 'Example Cloud', '2026-01-01 00:00:00'),
      ]);
      // A newer answer for 1.2.3.4 (say, a newer database) replaces the older one, merged or not.
      await insertNodeGeo(store, [geo('1.2.3.4', 64502, 'XC', '', '2026-01-02 00:00:00')]);
      const rows = await queryRows<Record<string, string | number>>(
        store,
        `SELECT host, outcome, asn, as_org, country, cloud FROM nodes_geo ORDER BY host`,
      );
      expect(rows.map((r) => ({ ...r, asn: Number(r.asn) }))).toEqual([
        { host: '1.2.3.4', outcome: 'ok', asn: 64502, as_org: 'AS-64502', country: 'XC', cloud: '' },
        {
          host: '1.2.3.5',
          outcome: 'ok',
          asn: 64501,
          as_org: 'AS-64501',
          country: 'XB',
          cloud: 'Example Cloud',
        },
        { host: '1.2.3.6', outcome: 'ok', asn: 0, as_org: '', country: '', cloud: '' },
      ]);
      const byCountry = await queryRows<{ country: string; n: string }>(
        store,
        `SELECT country, count() AS n FROM nodes_geo WHERE outcome = 'ok' AND country != '' GROUP BY country ORDER BY country`,
      );
      expect(byCountry.map((r) => [r.country, Number(r.n)])).toEqual([
        ['XB', 1],
        ['XC', 1],
      ]);
      const [dedup] = await queryRows<{ n: string }>(store, `SELECT count() AS n FROM node_geo FINAL`);
      expect(Number(dedup?.n)).toBe(2);
    });

    it('stores text with half a surrogate pair (as U+FFFD) and peer times past 2105 (as its last second)', async () => {
      const o = obs('1.9.9.1', 'refused', 0, 'rtext');
      o.error = `${'x'.repeat(10)}\ud83d`;
      const p = { ...obs('1.9.9.2', 'ok', 1, 'rtext') };
      p.addrs = packAddrs([{ ...(unpackAddrs(p.addrs)[0] as GossipedAddress), time: 0xffff_ffff }]);
      await insertObservations(store, [o, p]);
      const [row] = await queryRows<{ error: string }>(
        store,
        `SELECT error FROM observations WHERE crawl_id = 'rtext' AND host = '1.9.9.1'`,
      );
      expect(row?.error).toBe(`${'x'.repeat(10)}\ufffd`);
      const [adv] = await queryRows<{ t: string }>(
        store,
        `SELECT toUInt32(advertised_ts) AS t FROM addr_gossip WHERE crawl_id = 'rtext'`,
      );
      expect(Number(adv?.t)).toBe(MAX_DATETIME_S);
    });

    it('sets aside only the rows ClickHouse refuses; an outage-like error is thrown, not set aside', async () => {
      const rows = observationRows(
        Array.from({ length: 9 }, (_, i) => obs(`1.8.8.${i}`, 'refused', 0, 'riso')),
      );
      // Half a surrogate pair, put in after the writer's clean-up: the engine's own refusal.
      rows[2] = { ...(rows[2] as (typeof rows)[number]), error: 'bad \ud83d' };
      rows[7] = { ...(rows[7] as (typeof rows)[number]), error: 'bad \ud800 too' };
      const insert = async (batch: readonly unknown[]) => {
        await store.client.insert({
          table: 'observations',
          values: [...batch],
          format: 'JSONEachRow',
          clickhouse_settings: store.settings,
        });
      };
      const { accepted, rejected } = await insertIsolatingRejects(rows, insert);
      expect(rejected.map((r) => r.item.host)).toEqual(['1.8.8.2', '1.8.8.7']);
      expect(rejected.every((r) => /surrogate/i.test(r.error))).toBe(true);
      expect(accepted).toHaveLength(7);
      const [n] = await queryRows<{ n: string }>(
        store,
        `SELECT count() AS n FROM observations FINAL WHERE crawl_id = 'riso'`,
      );
      expect(Number(n?.n)).toBe(7);
      const missing = async (batch: readonly unknown[]) => {
        await store.client.insert({ table: 'no_such_table', values: [...batch], format: 'JSONEachRow' });
      };
      await expect(insertIsolatingRejects(rows, missing)).rejects.toSatisfy(
        (e: unknown) => clickhouseErrorCode(e) === 60 && !isRejectedData(e),
      );
    });

    it('stores the transport of each visit; rows without one read as v1', async () => {
      await insertObservations(store, [
        {
          ...obs('1.2.4.1', 'ok'),
          crawlId: 'tr',
          transport: 'v2',
          v2Fallback: false,
          v2SessionId: '0011223344556677',
        },
        { ...obs('1.2.4.2', 'ok'), crawlId: 'tr', transport: 'v1', v2Fallback: true, v2SessionId: '' },
        { ...obs('1.2.4.3', 'refused'), crawlId: 'tr' },
      ]);
      const rows = await queryRows<{
        host: string;
        transport: string;
        v2_fallback: number;
        v2_session_id: string;
      }>(
        store,
        `SELECT host, transport, v2_fallback, v2_session_id FROM observations FINAL WHERE crawl_id = 'tr' ORDER BY host`,
      );
      expect(rows.map((r) => [r.host, r.transport, Number(r.v2_fallback), r.v2_session_id])).toEqual([
        ['1.2.4.1', 'v2', 0, '0011223344556677'],
        ['1.2.4.2', 'v1', 1, ''],
        ['1.2.4.3', 'v1', 0, ''],
      ]);
    });
  });
}

/** A store at schema 0005 holding per-address gossip rows, then migrated: old rows stay readable. */
function upgradeSuite(name: string, open: () => Promise<Store>) {
  it(
    `${name}: gossip rows written before 0006 stay readable through addr_gossip`,
    async () => {
      const store = await open();
      try {
        const old = mkdtempSync(path.join(tmpdir(), 'bitcrawl-migrations-'));
        for (const f of readdirSync(defaultMigrationsDir()).filter((f) => f < '0006'))
          copyFileSync(path.join(defaultMigrationsDir(), f), path.join(old, f));
        await migrate(store, old);
        await store.client.insert({
          table: 'addr_gossip',
          values: [
            {
              ts: '2026-11-01 00:00:00',
              crawl_id: 'rold',
              src_network: 'ipv4',
              src_host: '1.1.1.1',
              src_port: 8333,
              network: 'ipv6',
              host: '2001:db8::1',
              port: 8333,
              services: '1033',
              advertised_ts: '2026-10-31 00:00:00',
            },
          ],
          format: 'JSONEachRow',
          clickhouse_settings: store.settings,
        });
        // Every later migration applies to the old store too (0007-0009: the network over time).
        expect(await migrate(store)).toEqual([
          '0006_gossip',
          '0007_rounds',
          '0008_reliability_views',
          '0009_node_location',
          '0010_transport',
        ]);
        await insertObservations(store, [obs('1.1.1.2', 'ok', 2, 'rnew')]);
        const rows = await queryRows<{ crawl_id: string; network: string; host: string }>(
          store,
          `SELECT crawl_id, network, host FROM addr_gossip ORDER BY crawl_id, host`,
        );
        expect(rows).toEqual([
          { crawl_id: 'rnew', network: 'ipv4', host: '10.0.0.1' },
          { crawl_id: 'rnew', network: 'onion', host: onionFromPubkey(new Uint8Array(32)) },
          { crawl_id: 'rold', network: 'ipv6', host: '2001:db8::1' },
        ]);
      } finally {
        await store.close();
      }
    },
    budget(90_000),
  );
}

let server: ClickHouseServer;
suite('clickhouse-server 18.16', async () => {
  server = await startClickHouse();
  return openStore({ url: server.url });
});
afterAll(() => server?.stop());

suite('embedded chdb', () => openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-chdb-')) }));

describe('schema upgrade', () => {
  let upgradeServer: ClickHouseServer;
  afterAll(() => upgradeServer?.stop());
  upgradeSuite('clickhouse-server 18.16', async () => {
    upgradeServer = await startClickHouse();
    return openStore({ url: upgradeServer.url });
  });
  upgradeSuite('embedded chdb', () =>
    openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-chdb-up-')) }),
  );
});

describe('embedded chdb: binary inserts through the spool', () => {
  it(
    'leaves no spool file behind, whether the insert is stored or refused',
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-spool-'));
      const store = await openStore({ dir });
      try {
        await migrate(store);
        await insertObservations(store, [obs('1.3.0.1', 'ok', 4, 'rspool')]);
        await expect(
          store.insertRowBinary('gossip', GOSSIP_COLUMNS, Buffer.from([1, 2, 3])),
        ).rejects.toSatisfy((e: unknown) => isRejectedData(e));
        expect(readdirSync(path.join(dir, 'spool'))).toEqual([]);
        const [g] = await queryRows<{ n: string }>(
          store,
          `SELECT count() AS n FROM addr_gossip WHERE crawl_id = 'rspool'`,
        );
        expect(Number(g?.n)).toBe(4);
      } finally {
        await store.close();
      }
    },
    budget(60_000),
  );

  it(
    'spools in the temporary directory when the store path holds a character file() reads as a wildcard',
    async () => {
      const dir = path.join(mkdtempSync(path.join(tmpdir(), 'bitcrawl-spool-')), 'store{1}');
      const store = await openStore({ dir });
      try {
        await migrate(store);
        await insertObservations(store, [obs('1.3.0.2', 'ok', 3, 'rwild')]);
        const [g] = await queryRows<{ n: string }>(
          store,
          `SELECT count() AS n FROM addr_gossip WHERE crawl_id = 'rwild'`,
        );
        expect(Number(g?.n)).toBe(3);
        expect(existsSync(path.join(dir, 'spool'))).toBe(false);
      } finally {
        await store.close();
      }
    },
    budget(60_000),
  );
});
