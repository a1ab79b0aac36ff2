import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Store } from './store.ts';
import { renderViews } from './timeline/views.ts';

/** infra/clickhouse/migrations, found by walking up from this file (sources) or the bundle (image). */
export function defaultMigrationsDir(): string {
  for (let dir = import.meta.dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'infra/clickhouse/migrations');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir)
      throw new Error('infra/clickhouse/migrations not found above ' + import.meta.dirname);
  }
}

/**
 * Applies infra/clickhouse/migrations/NNNN_name.sql in order, each once, recording them in
 * schema_migrations. Every statement is idempotent too (IF NOT EXISTS), so a crash between a
 * statement and its record is harmless. A view's SELECT is named, `{{node_reliability}}`, and
 * built by storage (timeline/views.ts). Returns the versions applied now.
 */
export async function migrate(store: Store, dir = defaultMigrationsDir()): Promise<string[]> {
  const { client, settings } = store;
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations (version String, applied_at DateTime('UTC'))
            ENGINE = MergeTree() ORDER BY version`,
  });
  const rs = await client.query({ query: 'SELECT version FROM schema_migrations', format: 'JSONEachRow' });
  const done = new Set(((await rs.json()) as { version: string }[]).map((r) => r.version));
  const files = (await readdir(dir)).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f)).sort();
  const applied: string[] = [];
  for (const file of files) {
    const version = file.replace(/\.sql$/, '');
    if (done.has(version)) continue;
    const sql = renderViews(await readFile(path.join(dir, file), 'utf8'), file);
    for (const statement of splitStatements(sql)) {
      try {
        if (await alreadyRenamed(store, statement)) continue;
        await client.command({ query: statement, clickhouse_settings: settings });
      } catch (err) {
        throw new Error(`migration ${file} failed: ${(err as Error).message}`);
      }
    }
    await client.insert({
      table: 'schema_migrations',
      values: [{ version, applied_at: formatDateTime(Date.now()) }],
      format: 'JSONEachRow',
    });
    applied.push(version);
  }
  return applied;
}

/**
 * RENAME TABLE is the one statement without IF EXISTS: after a crash between it and the
 * migration's record, the old name is gone (or a view took it) and the new one exists, so
 * running it again would fail. Such a rename is skipped.
 */
async function alreadyRenamed(store: Store, statement: string): Promise<boolean> {
  const m = /^RENAME TABLE (\w+) TO (\w+)$/i.exec(statement);
  if (!m) return false;
  const rs = await store.client.query({
    query: `SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name IN ('${m[1]}', '${m[2]}')`,
    format: 'JSONEachRow',
  });
  const tables = new Map(
    ((await rs.json()) as { name: string; engine: string }[]).map((t) => [t.name, t.engine]),
  );
  const from = tables.get(m[1] as string);
  return tables.has(m[2] as string) && (from === undefined || from === 'View');
}

/** Splits on ';' at line ends, dropping `--` comment lines. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** 'YYYY-MM-DD hh:mm:ss' in UTC: the DateTime text both engines parse the same way. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
