import { describe, expect, it } from 'vitest';
import { ByteBudget } from './byte-budget.ts';

const MB = 1024 * 1024;

describe('ByteBudget', () => {
  it('admits a large frame only if its whole declared length fits, and reserves it', () => {
    const ends: string[] = [];
    const budget = new ByteBudget(3 * MB, 64 * 1024, { onEnd: (how) => ends.push(how) });
    const a = budget.open(() => {});
    const b = budget.open(() => {});
    const c = budget.open(() => {});
    expect(a.update(24, 1_000_000, 4096)).toBeUndefined();
    expect(a.bytes).toBe(1_000_000); // the declared length, not what arrived
    expect(b.update(24, 1_000_000, 4096)).toBeUndefined();
    expect(budget.used).toBe(2_000_000);
    const refused = c.update(24, 1_500_000, 4096);
    expect(refused).toMatch(/^BYTE_BUDGET: a 1500000-byte frame not accepted/);
    expect(c.bytes).toBe(0);
    expect(ends).toEqual(['refused']);
    // Later chunks of an admitted frame are not re-admitted; completing it releases the bytes.
    expect(a.update(24, 1_000_000, 1_000_000)).toBeUndefined();
    a.update(1_000_048, -1, 0);
    expect(budget.used).toBe(1_000_000);
    b.close();
    expect(budget.used).toBe(0);
  });

  it('frames up to largeFrame are accounted as allocated; over the limit the largest are shed first', () => {
    const shed: string[] = [];
    const budget = new ByteBudget(200_000, 64 * 1024);
    const accounts = ['small', 'mid', 'big', 'late'].map((name) =>
      budget.open((reason) => shed.push(`${name}: ${reason}`)),
    );
    const [small, mid, big, late] = accounts as [
      (typeof accounts)[0],
      (typeof accounts)[0],
      (typeof accounts)[0],
      (typeof accounts)[0],
    ];
    small.update(0, 60_000, 8_192);
    mid.update(0, 60_000, 32_768);
    big.update(0, 65_536, 65_536);
    expect(budget.used).toBe(8_192 + 32_768 + 65_536);
    expect(shed).toEqual([]);
    late.update(0, 65_536, 65_536); // 172,032: still fits
    expect(shed).toEqual([]);
    mid.update(0, 60_000, 60_000); // 199,264: fits
    small.update(0, 60_000, 16_384); // 207,456: over by 7,456 -> one of the 65,536s goes
    expect(shed).toHaveLength(1);
    expect(shed[0]).toMatch(/^big: BYTE_BUDGET: shed 65536 buffered bytes, the largest of 4/);
    expect(budget.used).toBe(207_456 - 65_536);
    // A shed account is closed: later updates from its session change nothing.
    big.update(0, 65_536, 65_536);
    expect(budget.used).toBe(207_456 - 65_536);
  });

  it('a shed callback may end its session re-entrantly (the session closes its account again)', () => {
    const budget = new ByteBudget(100_000, 64 * 1024);
    const a = budget.open(() => a.close());
    const b = budget.open(() => b.close());
    a.update(0, 60_000, 60_000);
    b.update(0, 50_000, 50_000);
    expect(budget.used).toBe(50_000);
    expect(a.bytes).toBe(0);
  });
});
