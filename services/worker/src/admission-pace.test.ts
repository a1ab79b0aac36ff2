import { describe, expect, it } from 'vitest';
import { ADMISSIONS_PER_TURN, admissionTurn } from './admission-pace.ts';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('admission pace', () => {
  it(`starts at most ${ADMISSIONS_PER_TURN} targets a turn, first come first served, and every one in the end`, async () => {
    const order: number[] = [];
    const n = 2 * ADMISSIONS_PER_TURN + 5;
    const all = Promise.all(Array.from({ length: n }, (_, i) => admissionTurn().then(() => order.push(i))));
    expect(order).toHaveLength(0); // never in the turn that asked
    const seen: number[] = [];
    while (order.length < n) {
      await nextTurn();
      seen.push(order.length);
    }
    await all;
    // One turn's resolutions run before the test's own setImmediate of the same turn sees them.
    expect(seen.slice(0, 3)).toEqual([ADMISSIONS_PER_TURN, 2 * ADMISSIONS_PER_TURN, n]);
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('an admission asked for when none waits goes in the next turn', async () => {
    let admitted = false;
    const one = admissionTurn().then(() => {
      admitted = true;
    });
    await nextTurn();
    await one;
    expect(admitted).toBe(true);
  });
});
