import { describe, expect, it } from 'vitest';
import { ADMISSIONS_PER_TURN, admission } from './admission-pace.ts';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('admission pace', () => {
  it(`starts at most ${ADMISSIONS_PER_TURN} targets a turn, first come first served, and every one in the end`, async () => {
    await nextTurn(); // a fresh turn
    await nextTurn();
    const order: number[] = [];
    const n = 2 * ADMISSIONS_PER_TURN + 5;
    const all: Promise<number>[] = [];
    for (let i = 0; i < n; i++) {
      const wait = admission();
      if (wait === undefined) order.push(i);
      else all.push(wait.then(() => order.push(i)));
    }
    expect(order).toHaveLength(ADMISSIONS_PER_TURN); // at once, in the turn that asked
    const seen: number[] = [];
    while (order.length < n) {
      await nextTurn();
      seen.push(order.length);
    }
    await Promise.all(all);
    expect(seen.slice(0, 2)).toEqual([2 * ADMISSIONS_PER_TURN, n]);
    expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('once a burst has drained, targets start at once again', async () => {
    const burst: Promise<void>[] = [];
    for (let i = 0; i < 3 * ADMISSIONS_PER_TURN; i++) {
      const wait = admission();
      if (wait) burst.push(wait);
    }
    expect(burst.length).toBeGreaterThanOrEqual(2 * ADMISSIONS_PER_TURN);
    await Promise.all(burst);
    await nextTurn(); // the turn after the last release starts a fresh count
    expect(admission()).toBeUndefined();
  });
});
