import { createDiffieHellman, type DiffieHellman } from 'node:crypto';

/**
 * a^((p-3)/4) mod p for secp256k1's field prime p, in OpenSSL when it can (~60 µs here, against
 * ~140 µs for ellswift.ts's bigint addition chain). node:crypto exposes OpenSSL's modular
 * exponentiation only as Diffie-Hellman: `computeSecret(a)` is a^priv mod N. OpenSSL refuses a
 * modulus under 512 bits, so N = p·(2^256 + 1) and the answer is reduced mod p (p divides N, so
 * a^e mod N mod p = a^e mod p). computeSecret refuses a "public key" below 2: 0 and 1 are
 * answered here. The first call (~2 ms, once per thread) checks OpenSSL against the bigint chain on a few values and
 * keeps the chain when OpenSSL is missing, refuses or disagrees (a FIPS build, a policy).
 */
const P = 2n ** 256n - 0x1000003d1n;
const N = P * (2n ** 256n + 1n);
const EXPONENT = (P - 3n) / 4n;

function toBytes(n: bigint, len: number): Buffer {
  return Buffer.from(n.toString(16).padStart(len * 2, '0'), 'hex');
}

function viaOpenssl(d: DiffieHellman, a: bigint): bigint {
  return BigInt(`0x${d.computeSecret(toBytes(a, 32)).toString('hex')}`) % P;
}

function load(chain: (a: bigint) => bigint): DiffieHellman | null {
  try {
    const d = createDiffieHellman(toBytes(N, 64));
    d.setPrivateKey(toBytes(EXPONENT, 32));
    for (const a of [2n, 3n, 7n, P - 1n, P - 2n, 0xdeadbeefn ** 7n % P])
      if (viaOpenssl(d, a) !== chain(a)) return null;
    return d;
  } catch {
    return null;
  }
}

export interface FieldPow {
  /** a^((p-3)/4) mod p, for 0 <= a < p. */
  pow(a: bigint): bigint;
  /** Which implementation `pow` uses; loads it. */
  backend(): 'openssl' | 'bigint';
}

/** `chain` computes a^((p-3)/4) in bigint: the fallback, and the check OpenSSL must pass. OpenSSL is set up on first use. */
export function makeFieldPow(chain: (a: bigint) => bigint): FieldPow {
  let dh: DiffieHellman | null | undefined; // undefined: not tried yet; null: unusable
  const get = () => {
    if (dh === undefined) dh = load(chain);
    return dh;
  };
  return {
    pow(a) {
      const d = get();
      return d === null || a < 2n ? chain(a) : viaOpenssl(d, a);
    },
    backend: () => (get() ? 'openssl' : 'bigint'),
  };
}
