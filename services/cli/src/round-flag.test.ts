import { describe, expect, it } from 'vitest';
import { checkRoundFlag } from './round-flag.ts';

describe('--round (report, export)', () => {
  it('takes a crawl id or nothing, and refuses anything else as a usage error', () => {
    expect(() => checkRoundFlag(undefined)).not.toThrow();
    expect(() => checkRoundFlag('r20261206T071200Z')).not.toThrow();
    let err: unknown;
    try {
      checkRoundFlag("geo1' OR 1=1");
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'USAGE',
      message: `--round: bad round id "geo1' OR 1=1" (letters, digits, '.', '_', '-')`,
    });
  });
});
