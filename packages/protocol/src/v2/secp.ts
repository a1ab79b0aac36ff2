import { createECDH, getCurves } from 'node:crypto';
import { secp256k1 } from '@noble/curves/secp256k1.js';

/**
 * The two secp256k1 scalar multiplications ellswift-key.ts's bigint backend needs (our public
 * key, the shared point), in OpenSSL through node:crypto (~0.6 and ~1.5 ms: no optimised code for
 * this curve) or @noble/curves. Sessions do not come here: they use libsecp256k1's ElligatorSwift
 * module in WebAssembly (ellswift-wasm.ts), and this is its fallback and its cross-check.
 */
export interface Secp256k1 {
  readonly name: 'openssl' | 'noble';
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

/** OpenSSL gives a generated private key without its leading zero bytes (1 key in 256 is 31 bytes long). */
function padded32(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  out.set(key, 32 - key.length);
  return out;
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
          priv: given ?? padded32(ecdh.getPrivateKey()),
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

/** OpenSSL when this Node has the curve, else noble. */
export function defaultSecp256k1(): Secp256k1 {
  return opensslSecp256k1 ?? nobleSecp256k1;
}

/** Every backend this process has, for tests that check they agree. */
export function allSecp256k1(): Secp256k1[] {
  return [...(opensslSecp256k1 ? [opensslSecp256k1] : []), nobleSecp256k1];
}
