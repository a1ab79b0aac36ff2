import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, openStore, queryRows, splitStatements } from '@bitcrawl/storage';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
// The README and the docs it links to (docs/schema.md holds most of the analytic SQL).
const readme = ['README.md', ...readdirSync(path.join(root, 'docs')).map((f) => `docs/${f}`)]
  .filter((f) => f.endsWith('.md'))
  .map((f) => readFileSync(path.join(root, f), 'utf8'))
  .join('\n');
const sqlBlocks = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].flatMap((m) =>
  splitStatements(m[1] as string),
);
// The queries the README runs through `bitcrawl query "..."` in its shell examples.
const cliQueries = [...readme.matchAll(/bitcrawl query "([^"]+)"/g)]
  .map((m) => m[1] as string)
  .filter((sql) => /^\s*SELECT\b/i.test(sql));
const statements = [...sqlBlocks, ...cliQueries];

/** How the README picks the newest round, in every query that is about one round. */
const NEWEST = '(SELECT argMax(crawl_id, ts_ms) FROM observations)';

/** Two rounds: everything of the older one is marked "old" (and only it has failed visits). */
async function twoRounds(store: Awaited<ReturnType<typeof openStore>>): Promise<void> {
  const onion = `${'a'.repeat(56)}.onion`;
  const rounds = [
    {
      id: 'r20261124T160442Z',
      ts: '2026-11-24 16:04:42',
      ms: 1_795_536_282_000,
      tag: 'old',
      outcome: 'closed',
    },
    // An id that does not sort after the older one: "newest" is by time, not by name.
    { id: 'lab-a', ts: '2026-11-25 09:00:00', ms: 1_795_597_200_000, tag: 'new', outcome: 'ok' },
  ];
  for (const r of rounds) {
    const host = r.tag === 'old' ? '198.51.100.7' : '203.0.113.9';
    await store.client.command({
      query: `INSERT INTO observations (ts, ts_ms, crawl_id, network, host, port, outcome, error, user_agent) VALUES
        ('${r.ts}', ${r.ms}, '${r.id}', 'ipv4', '${host}', 8333, '${r.outcome}', '${r.tag}-error', '/${r.tag}:1/'),
        ('${r.ts}', ${r.ms}, '${r.id}', 'ipv4', '${r.tag === 'old' ? '198.51.100.8' : '203.0.113.10'}', 8333, 'ok', '', '/${r.tag}:2/')`,
      clickhouse_settings: store.settings,
    });
    await store.client.command({
      query: `INSERT INTO addr_gossip_v1 (ts, crawl_id, src_network, src_host, src_port, network, host, port, services, advertised_ts)
        VALUES ('${r.ts}', '${r.id}', 'ipv4', '${host}', 8333, 'onion', '${onion}', 8333, 1, '${r.ts}')`,
      clickhouse_settings: store.settings,
    });
  }
}

describe('README SQL examples', () => {
  it('run against the migrated schema (chdb), and a round-filtered one sees the newest round only', async () => {
    expect(sqlBlocks.length).toBeGreaterThanOrEqual(4);
    expect(cliQueries.length).toBeGreaterThanOrEqual(1);
    const store = await openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-readme-')) });
    try {
      await migrate(store);
      for (const sql of statements) await expect(queryRows(store, sql), sql).resolves.toBeInstanceOf(Array);
      // Issue 17, finding 4: rounds mixed in one store, and the README's example id matched nothing.
      await twoRounds(store);
      const perRound = statements.filter((s) => s.includes(NEWEST));
      expect(perRound.length).toBeGreaterThanOrEqual(5);
      for (const sql of perRound) {
        const rows = await queryRows(store, sql);
        const text = JSON.stringify(rows);
        expect(text, sql).not.toMatch(/old|198\.51\.100|closed/);
      }
      const failed = await queryRows(
        store,
        statements.find((s) => s.startsWith('SELECT outcome, count() AS n FROM observations')) as string,
      );
      expect(failed).toEqual([{ outcome: 'ok', n: '2' }]);
      const cli = await queryRows(store, cliQueries[0] as string);
      expect(cli).toEqual([{ network: 'ipv4', outcome: 'ok', n: '2' }]);
      // Queries over every round still see both.
      const all = await queryRows(
        store,
        'SELECT crawl_id, network, reachable FROM round_summary ORDER BY crawl_id, network',
      );
      expect(all.map((r) => r.crawl_id)).toEqual(['lab-a', 'r20261124T160442Z']);
    } finally {
      await store.close();
    }
  });
});
