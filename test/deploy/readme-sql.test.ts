import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, openStore, queryRows, splitStatements } from '@bitcrawl/storage';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const statements = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].flatMap((m) =>
  splitStatements(m[1] as string),
);

describe('README SQL examples', () => {
  it('run against the migrated schema (chdb)', async () => {
    expect(statements.length).toBeGreaterThanOrEqual(4);
    const store = await openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-readme-')) });
    try {
      await migrate(store);
      for (const sql of statements) await expect(queryRows(store, sql), sql).resolves.toBeInstanceOf(Array);
    } finally {
      await store.close();
    }
  });
});
