import { describe, expect, it } from 'vitest';
import { splitConcurrency } from './worker-flags.ts';

describe('splitConcurrency', () => {
  it('shares CONCURRENCY out whole, the remainder to the first threads', () => {
    expect(splitConcurrency(1001, 2)).toEqual([501, 500]);
    expect(splitConcurrency(2000, 2)).toEqual([1000, 1000]);
    expect(splitConcurrency(5, 3)).toEqual([2, 2, 1]);
    expect(splitConcurrency(7, 1)).toEqual([7]);
  });
});
