import { CHDB_MALLOC_CONF } from '@bitcrawl/storage/chdb-allocator';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.ts';

const saved = process.env.JE_MALLOC_CONF;
afterEach(() => {
  if (saved === undefined) delete process.env.JE_MALLOC_CONF;
  else process.env.JE_MALLOC_CONF = saved;
  vi.restoreAllMocks();
});

describe('the CLI entry', () => {
  it("sets embedded chdb's allocator before any command runs, keeping the user's own setting", async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    delete process.env.JE_MALLOC_CONF;
    expect(await main(['node', 'bitcrawl', '--version'])).toBe(0);
    expect(process.env.JE_MALLOC_CONF).toBe(CHDB_MALLOC_CONF);
    process.env.JE_MALLOC_CONF = 'dirty_decay_ms:0';
    expect(await main(['node', 'bitcrawl', '--version'])).toBe(0);
    expect(process.env.JE_MALLOC_CONF).toBe('dirty_decay_ms:0');
  });
});
