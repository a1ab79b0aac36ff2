import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { budget } from '@bitcrawl/testkit';
import { describe, expect, it } from 'vitest';
import { CHDB_MALLOC_CONF, preferChdbAllocator } from './chdb-allocator.ts';

/**
 * A process that sets JE_MALLOC_CONF in its own environment (as the CLI's entry does), then
 * loads chdb, runs a query that allocates ~0.5 GB and frees it, and prints how much of it is
 * still resident straight after (MB). No waiting: the decay times are 0 and 60 s.
 */
const CHILD = `
const fs = require('node:fs');
process.env.JE_MALLOC_CONF = process.argv[1];
const { Session } = require(process.argv[2]);
const rss = () => Number(fs.readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096 / 2 ** 20;
const s = new Session(process.argv[3]);
s.query('SELECT 1', 'TSV');
const before = rss();
s.query('SELECT length(groupArray(number)) FROM numbers(20000000)', 'TSV');
console.log(Math.round(rss() - before));
s.close();
`;

function heldAfterQuery(conf: string): number {
  const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-chdb-alloc-'));
  try {
    const chdb = createRequire(import.meta.url).resolve('chdb');
    const out = execFileSync(process.execPath, ['-e', CHILD, conf, chdb, dir], {
      env: { ...process.env, JE_MALLOC_CONF: undefined },
      encoding: 'utf8',
    });
    return Number(out.trim().split('\n').at(-1));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("embedded chdb's allocator", () => {
  it('is set by preferChdbAllocator unless the user set it', () => {
    const env: NodeJS.ProcessEnv = {};
    preferChdbAllocator(env);
    expect(env.JE_MALLOC_CONF).toBe(CHDB_MALLOC_CONF);
    const own: NodeJS.ProcessEnv = { JE_MALLOC_CONF: 'dirty_decay_ms:0' };
    preferChdbAllocator(own);
    expect(own.JE_MALLOC_CONF).toBe('dirty_decay_ms:0');
  });

  it(
    "reads JE_MALLOC_CONF set in the process before chdb loads (libchdb's own jemalloc)",
    () => {
      // Freed pages kept for 60 s are still resident; with 0 ms they go back at once.
      const kept = heldAfterQuery('dirty_decay_ms:60000');
      const returned = heldAfterQuery('dirty_decay_ms:0');
      expect(kept).toBeGreaterThan(200);
      expect(returned).toBeLessThan(kept / 4);
    },
    budget(60_000),
  );
});
