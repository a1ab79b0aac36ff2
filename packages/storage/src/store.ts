import { mkdirSync } from 'node:fs';
import path from 'node:path';
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
  close(): Promise<void>;
}

/** Opens ClickHouse through one client API: a server over HTTP, or chdb in this process. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  let client: ClickHouseClient;
  let engine: Store['engine'];
  let describe: string;
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
    client = createClient({ connection: createChdbConnection({ path: dir }) } as Parameters<
      typeof createClient
    >[0]);
    engine = 'chdb';
    describe = `embedded chdb at ${dir}`;
  }
  const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
  const [{ v }] = (await rs.json()) as [{ v: string }];
  const major = Number(v.split('.')[0]);
  // 64-bit integers are quoted in JSON output on both engines, so nothing is rounded in JS.
  const settings: ClickHouseSettings = { output_format_json_quote_64bit_integers: 1 };
  if (major < 19) Object.assign(settings, { allow_experimental_low_cardinality_type: 1 });
  return { client, engine, version: v, settings, describe, close: () => client.close() };
}
