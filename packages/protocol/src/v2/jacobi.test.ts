import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSquareModP } from './jacobi.ts';

const P = 2n ** 256n - 0x1000003d1n;
/** Euler's criterion, the slow way: a^((p-1)/2) is 1 for a nonzero square. */
function euler(a: bigint): boolean {
  let r = 1n;
  let b = a;
  for (let e = (P - 1n) / 2n; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
  }
  return a === 0n || r === 1n;
}

describe('isSquareModP (limb Jacobi symbol)', () => {
  it("agrees with Euler's criterion on powers of two, short numbers and the ends of the field", () => {
    const cases = [0n, 1n, 2n, 3n, 7n, P - 1n, P - 2n, P - 3n, 2n ** 255n, 2n ** 224n + 1n];
    for (let k = 0; k < 256; k += 5)
      cases.push(2n ** BigInt(k), 3n * 2n ** BigInt(k) + 5n, (2n ** BigInt(k) * 0xfffffffbn) % P);
    for (const c of cases) {
      const a = c % P;
      expect(isSquareModP(a), String(a)).toBe(euler(a));
    }
  });

  it("agrees with Euler's criterion on random field elements", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: P - 1n }), (a) => {
        expect(isSquareModP(a)).toBe(euler(a));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a value outside the field', () => {
    expect(() => isSquareModP(P)).toThrow(RangeError);
    expect(() => isSquareModP(-1n)).toThrow(RangeError);
  });
});
