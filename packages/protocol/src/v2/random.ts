import { randomFillSync } from 'node:crypto';

/**
 * CSPRNG bytes for a v2 connection (the garbage, ElligatorSwift's tries, the private key)
 * drawn from one pool refilled POOL_SIZE bytes at a time: randomFillSync costs ~4 µs a call
 * whatever its length, and a connection makes about six small draws. Each byte is handed out
 * once and zeroed in the pool as it is taken, so no key material waits there after use.
 */
const POOL_SIZE = 16 * 1024;
const pool = new Uint8Array(POOL_SIZE);
let at = POOL_SIZE;

/** Fills `out` with fresh random bytes. */
export function fillRandom(out: Uint8Array): Uint8Array {
  if (out.length > POOL_SIZE / 4) return randomFillSync(out); // large: one call is as cheap
  if (at + out.length > POOL_SIZE) {
    randomFillSync(pool);
    at = 0;
  }
  const taken = pool.subarray(at, at + out.length);
  out.set(taken);
  taken.fill(0);
  at += out.length;
  return out;
}

/** A uniformly random integer in [0, n), n <= 65536, by rejection from two pooled bytes. */
export function randomBelow(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 65536) throw new RangeError(`randomBelow: n = ${n}`);
  const limit = 65536 - (65536 % n); // the largest multiple of n: below it, v % n is uniform
  const two = new Uint8Array(2);
  for (;;) {
    fillRandom(two);
    const v = ((two[0] as number) << 8) | (two[1] as number);
    if (v < limit) return v % n;
  }
}
