import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  type ClickHouseClient,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
} from '@clickhouse/client';
import { type ColumnType, InsertSpool } from './spool.ts';

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
   * Inserts RowBinary rows of these columns (name and type, in the order written) as they are:
   * over HTTP to a server, through a spool file into chdb. The bytes may be moved to another
   * thread (the ingest thread's store): do not use them after the call.
   */
  insertRowBinary(table: string, columns: readonly ColumnType[], bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** Opens ClickHouse through one client API: a server over HTTP, or chdb in this process. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  let client: ClickHouseClient;
  let engine: Store['engine'];
  let describe: string;
  let spool: InsertSpool | undefined;
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
    spool = InsertSpool.open(dir);
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
  const insertRowBinary = async (table: string, columns: readonly ColumnType[], bytes: Uint8Array) => {
    if (bytes.length === 0) return;
    if (spool) return spool.insert(client, settings, table, columns, bytes);
    const names = columns.map(([name]) => name).join(', ');
    const { stream } = await client.exec({
      query: `INSERT INTO ${table} (${names}) FORMAT RowBinary`,
      values: Readable.from([bytes], { objectMode: false }),
      clickhouse_settings: settings,
    });
    stream.resume();
    await finished(stream);
  };
  const close = async () => {
    await client.close();
    spool?.close();
  };
  return { client, engine, version: v, settings, describe, insertRowBinary, close };
}
