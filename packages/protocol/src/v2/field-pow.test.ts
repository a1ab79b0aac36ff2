import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fieldPow, powP34Chain } from './ellswift.ts';
import { makeFieldPow } from './field-pow.ts';

const P = 2n ** 256n - 0x1000003d1n;

describe('a^((p-3)/4) mod p', () => {
  it('runs in OpenSSL here and agrees with the bigint addition chain', () => {
    expect(fieldPow.backend()).toBe('openssl'); // node 20's OpenSSL 3 on this image
    const as = [
      0n,
      1n,
      2n,
      P - 1n,
      ...Array.from({ length: 200 }, () => BigInt(`0x${randomBytes(32).toString('hex')}`) % P),
    ];
    for (const a of as) expect(fieldPow.pow(a)).toBe(powP34Chain(a));
  });

  it('keeps the bigint chain when OpenSSL disagrees with it', () => {
    const wrong = (a: bigint) => (powP34Chain(a) + 1n) % P; // stands for an OpenSSL that answers wrongly
    const f = makeFieldPow(wrong);
    expect(f.backend()).toBe('bigint');
    expect(f.pow(5n)).toBe(wrong(5n));
  });
});
