import { describe, expect, it } from 'vitest';
import { steadyRate } from './drive.ts';

describe('steadyRate (bench:sessions)', () => {
  it('is the completion rate between the 10th and 90th percentile, without start and drain', () => {
    // 1,001 completions: a slow start (100 in the first 5 s), 800 at 100/s, a slow drain.
    const t: number[] = [];
    for (let i = 0; i < 100; i++) t.push(i * 50);
    for (let i = 0; i <= 800; i++) t.push(5_000 + i * 10);
    for (let i = 1; i <= 100; i++) t.push(13_000 + i * 50);
    expect(steadyRate(t, t.length)).toBeCloseTo(100, 5);
    // Over the whole span the same completions give about 55/s.
    expect((t.length * 1000) / (t.at(-1) as number)).toBeLessThan(60);
  });

  it('reads only the first `count` times (the array is preallocated) and needs ten of them', () => {
    const t = new Float64Array(100);
    for (let i = 0; i < 11; i++) t[i] = i * 100;
    expect(steadyRate(t, 11)).toBeCloseTo(10, 5);
    expect(steadyRate(t, 9)).toBe(0);
  });
});
