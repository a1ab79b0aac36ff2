import { createECDH, getCurves } from 'node:crypto';
import { createRequire } from 'node:module';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type * as TinySecp256k1 from 'tiny-secp256k1';
import { fillRandom } from './random.ts';

/**
 * The two secp256k1 scalar multiplications a v2 connection needs (our public key, the shared
 * point), behind one interface with three implementations, fastest first: libsecp256k1 built
 * to WebAssembly (tiny-secp256k1; ~0.2 ms for G·k and ~0.4 ms for the ECDH here), OpenSSL
 * through node:crypto (~0.6 and ~1.5 ms: no optimised code for this curve), @noble/curves.
 *
 * Why lazy and here: tiny-secp256k1 reads and compiles its .wasm when it is loaded, and this
 * package does nothing at import time. `defaultSecp256k1()` loads it on first use (about 20 ms,
 * once per thread, synchronous from then on) and falls back to OpenSSL when it cannot, so every
 * caller (crawler sessions, simnet nodes, crawl threads, bundles, tests) gets the fast one with
 * no set-up call to forget. It is an npm dependency, left external by every esbuild bundle and
 * installed with the image's node_modules; it is resolved from here, like an import.
 */
export interface Secp256k1 {
  readonly name: 'libsecp256k1-wasm' | 'openssl' | 'noble';
  /** A key for `priv`, or for a fresh uniformly random private key. */
  key(priv?: Uint8Array): ScalarKey;
}

export interface ScalarKey {
  readonly priv: Uint8Array;
  /** x(priv · G), 32 bytes big-endian. */
  publicX(): Uint8Array;
  /**
   * x(priv · P), 32 bytes, for the curve point P = 0x02 || x (x-only ECDH: either of the two
   * points with that x gives the same x). `compressed` must be on the curve.
   */
  sharedX(compressed: Uint8Array): Uint8Array;
}

const ORDER = Buffer.from(secp256k1.Point.CURVE().n.toString(16).padStart(64, '0'), 'hex');
const ZERO = Buffer.alloc(32);

/** A uniformly random scalar in [1, n): 32 random bytes, drawn again in the ~2^-128 case they are not. */
function randomPrivate(): Uint8Array {
  const priv = new Uint8Array(32);
  for (;;) {
    fillRandom(priv);
    const b = Buffer.from(priv.buffer, priv.byteOffset, 32);
    if (b.compare(ORDER) < 0 && !b.equals(ZERO)) return priv;
  }
}

function wasmBackend(lib: typeof TinySecp256k1): Secp256k1 {
  return {
    name: 'libsecp256k1-wasm',
    key(given) {
      const priv = given ?? randomPrivate();
      return {
        priv,
        publicX: () => (lib.pointFromScalar(priv, true) as Uint8Array).subarray(1),
        sharedX(compressed) {
          const shared = lib.pointMultiply(compressed, priv, true);
          if (!shared) throw new RangeError('x-only ECDH: the shared point is at infinity');
          return shared.subarray(1);
        },
      };
    },
  };
}

export const opensslSecp256k1: Secp256k1 | undefined = getCurves().includes('secp256k1')
  ? {
      name: 'openssl',
      key(given) {
        const ecdh = createECDH('secp256k1');
        let pub: Buffer;
        if (given) {
          ecdh.setPrivateKey(given);
          pub = ecdh.getPublicKey();
        } else pub = ecdh.generateKeys(); // uncompressed: 04 || x || y
        return {
          priv: given ?? ecdh.getPrivateKey(),
          publicX: () => pub.subarray(1, 33),
          sharedX: (compressed) => ecdh.computeSecret(compressed),
        };
      },
    }
  : undefined;

export const nobleSecp256k1: Secp256k1 = {
  name: 'noble',
  key(given) {
    const priv = given ?? secp256k1.utils.randomSecretKey();
    const k = secp256k1.Point.Fn.fromBytes(priv);
    return {
      priv,
      publicX: () => secp256k1.Point.BASE.multiply(k).toBytes(true).subarray(1),
      sharedX: (compressed) => secp256k1.Point.fromBytes(compressed).multiply(k).toBytes(true).subarray(1),
    };
  },
};

let wasm: Secp256k1 | undefined;
let wasmError: string | undefined;

/** libsecp256k1 in WebAssembly, loaded on the first call (reads its .wasm); throws when it cannot load. */
export function wasmSecp256k1(): Secp256k1 {
  if (!wasm) {
    const lib = createRequire(import.meta.url)('tiny-secp256k1') as typeof TinySecp256k1;
    wasm = wasmBackend(lib);
  }
  return wasm;
}

/** `load()`'s backend, or the best built-in one and why `load` failed. */
export function pickSecp256k1(load: () => Secp256k1): { secp: Secp256k1; error?: string } {
  try {
    return { secp: load() };
  } catch (err) {
    return {
      secp: opensslSecp256k1 ?? nobleSecp256k1,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

let preferred: Secp256k1 | undefined;

/** The fastest backend this process can load (see above); why WASM failed, if it did, in `wasmLoadError()`. */
export function defaultSecp256k1(): Secp256k1 {
  if (!preferred) {
    const picked = pickSecp256k1(wasmSecp256k1);
    preferred = picked.secp;
    wasmError = picked.error;
  }
  return preferred;
}

export function wasmLoadError(): string | undefined {
  return wasmError;
}

/** Every backend this process has, for tests that check they agree. */
export function allSecp256k1(): Secp256k1[] {
  return [wasmSecp256k1(), ...(opensslSecp256k1 ? [opensslSecp256k1] : []), nobleSecp256k1];
}
