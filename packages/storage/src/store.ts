import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  type ClickHouseClient,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
} from '@clickhouse/client';

export interface StoreOptions {
  /** http(s)://user:pass@host:8123 — a ClickHouse server. Without it, embedded chdb. */
  url?: string;
  /** Where embedded chdb keeps its data (default ./data). */
  dir?: string;
  database?: string;
}

export interface Store {
  client: ClickHouseClient;
  engine: 'server' | 'chdb';
  version: string;
  /** Settings every DDL/insert needs on this engine (LowCardinality is experimental on 18.x). */
  settings: ClickHouseSettings;
  describe: string;
  /**
   * Inserts TabSeparated rows as they are: over HTTP to a server, zero-copy into chdb (whose
   * client-API insert would first turn the bytes into one large string).
   */
  insertTsv(table: string, tsv: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** Opens ClickHouse through one client API: a server over HTTP, or chdb in this process. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  let client: ClickHouseClient;
  let engine: Store['engine'];
  let describe: string;
  let rawInsert:
    | ((p: { table: string; values: Buffer; format: 'TabSeparated' }) => Promise<unknown>)
    | undefined;
  if (opts.url) {
    const u = new URL(opts.url);
    client = createClient({
      url: `${u.protocol}//${u.host}`,
      username: decodeURIComponent(u.username) || 'default',
      password: decodeURIComponent(u.password),
      ...(opts.database ? { database: opts.database } : {}),
      request_timeout: 60_000,
      // Failures surface as thrown errors that callers log with context; the client's own console logger would repeat them.
      log: { level: ClickHouseLogLevel.OFF },
    });
    engine = 'server';
    describe = `clickhouse-server at ${u.host}`;
  } else {
    const dir = path.resolve(opts.dir ?? 'data');
    mkdirSync(dir, { recursive: true });
    const { createChdbConnection } = await import('chdb/connection');
    const connection = createChdbConnection({ path: dir });
    rawInsert = (p) => connection.chdb.rawInsert(p);
    client = createClient({ connection } as Parameters<typeof createClient>[0]);
    engine = 'chdb';
    describe = `embedded chdb at ${dir}`;
  }
  const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
  const [{ v }] = (await rs.json()) as [{ v: string }];
  const major = Number(v.split('.')[0]);
  // 64-bit integers are quoted in JSON output on both engines, so nothing is rounded in JS.
  const settings: ClickHouseSettings = { output_format_json_quote_64bit_integers: 1 };
  if (major < 19) Object.assign(settings, { allow_experimental_low_cardinality_type: 1 });
  const insertTsv = async (table: string, tsv: Buffer) => {
    if (tsv.length === 0) return;
    if (rawInsert) await rawInsert({ table, values: tsv, format: 'TabSeparated' });
    else
      await client.insert({
        table,
        values: Readable.from([tsv], { objectMode: false }),
        format: 'TabSeparated',
        clickhouse_settings: settings,
      });
  };
  return { client, engine, version: v, settings, describe, insertTsv, close: () => client.close() };
}
