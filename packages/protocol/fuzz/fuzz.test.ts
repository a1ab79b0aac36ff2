import { describe, expect, it } from 'vitest';
import { fuzz } from './fuzz.ts';

// The CI run of the frame fuzzer (`npm run fuzz -- --frames 10000000` is the nightly one).
describe('frame fuzzer against the independent reference decoder', () => {
  it('100,000 frames: every accepted and every refused frame agrees with the reference', () => {
    const report = fuzz(100_000, 1);
    expect(report.mismatches).toEqual([]);
    expect(report.disagreements).toBe(0);
    // The crawl session's packed decoder agrees with decodeMessage + packAddrs on every addr/addrv2 payload.
    expect(report.packedDisagreements).toBe(0);
    expect(report.packedChecked).toBeGreaterThan(10_000);
    expect(report.frames).toBeGreaterThanOrEqual(100_000);
    // The mutations reach every decoder and every error class.
    expect(report.accepted).toBeGreaterThan(30_000);
    expect(Object.keys(report.errors).sort()).toEqual(
      expect.arrayContaining([
        'BAD_CHECKSUM',
        'BAD_COMMAND',
        'BAD_MAGIC',
        'MALFORMED',
        'OVERSIZED',
        'TOO_MANY_ENTRIES',
        'TRUNCATED',
      ]),
    );
  });
});
