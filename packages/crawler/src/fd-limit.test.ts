import { describe, expect, it } from 'vitest';
import { fitVisitsToFdLimit, openFileLimit, RESERVED_FDS } from './fd-limit.ts';

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

  it('caps pending dials, then sessions, below the limit, with one warning naming ulimit -n', () => {
    const allowed = Math.floor((1024 - RESERVED_FDS) * 0.9); // 691
    expect(fitVisitsToFdLimit({ concurrency: 500, pendingDials: 1500 }, 20_000)).toEqual({
      concurrency: 500,
      pendingDials: 1500,
    });
    const dials = fitVisitsToFdLimit({ concurrency: 500, pendingDials: 1500 }, 1024);
    expect(dials).toMatchObject({ concurrency: 500, pendingDials: allowed - 500 });
    expect(dials.warning).toMatch(/ulimit -n 2479\b/); // 2,000 sockets / 0.9 + 256
    const sessions = fitVisitsToFdLimit({ concurrency: 2000, pendingDials: 0 }, 1024);
    expect(sessions).toMatchObject({ concurrency: allowed, pendingDials: 0 });
    expect(sessions.warning).toMatch(/ulimit -n \d+/);
    expect(fitVisitsToFdLimit({ concurrency: 2000, pendingDials: 10 }, undefined)).toEqual({
      concurrency: 2000,
      pendingDials: 10,
    });
  });
});
