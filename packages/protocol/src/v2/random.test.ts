import { describe, expect, it } from 'vitest';
import { fillRandom, randomBelow } from './random.ts';

describe('pooled CSPRNG bytes', () => {
  it('hands out fresh bytes on every draw, across pool refills and for large draws', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) seen.add(Buffer.from(fillRandom(new Uint8Array(33))).toString('hex'));
    expect(seen.size).toBe(3000); // ~6 pool refills; a repeat would be a reused slice
    const big = fillRandom(new Uint8Array(10_000));
    expect(big.some((b) => b !== 0)).toBe(true);
    const counts = new Array<number>(256).fill(0);
    for (const b of fillRandom(new Uint8Array(4000))) counts[b] = (counts[b] as number) + 1;
    expect(Math.max(...counts)).toBeLessThan(50); // ~15.6 expected per value
  });

  it('draws integers below n uniformly, and refuses a bad n', () => {
    const n = 4096;
    const hist = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) {
      const v = randomBelow(n);
      expect(Number.isInteger(v) && v >= 0 && v < n).toBe(true);
      hist[v >> 9] = (hist[v >> 9] as number) + 1;
    }
    for (const h of hist) expect(Math.abs(h - 1000)).toBeLessThan(200);
    expect(randomBelow(1)).toBe(0);
    expect(() => randomBelow(0)).toThrow(RangeError);
    expect(() => randomBelow(65537)).toThrow(RangeError);
  });
});
