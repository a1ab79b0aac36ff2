import { describe, expect, it } from 'vitest';
import { fitConcurrencyToFdLimit, openFileLimit, RESERVED_FDS } from './fd-limit.ts';

const limits = (soft: string) =>
  `Limit                     Soft Limit           Hard Limit           Units\nMax open files            ${soft}                 1048576              files\n`;

describe('open-file limit', () => {
  it('reads the soft limit, and nothing where it is unlimited or unreadable', () => {
    expect(openFileLimit(() => limits('1024'))).toBe(1024);
    expect(openFileLimit(() => limits('unlimited'))).toBeUndefined();
    expect(
      openFileLimit(() => {
        throw new Error('ENOENT');
      }),
    ).toBeUndefined();
  });

  it('caps concurrency below the limit with one warning naming ulimit -n', () => {
    expect(fitConcurrencyToFdLimit(500, 20_000)).toEqual({ concurrency: 500 });
    const r = fitConcurrencyToFdLimit(2000, 1024);
    expect(r.concurrency).toBe(Math.floor((1024 - RESERVED_FDS) * 0.9));
    expect(r.warning).toMatch(/ulimit -n \d+/);
    expect(fitConcurrencyToFdLimit(2000, undefined)).toEqual({ concurrency: 2000 });
  });
});
