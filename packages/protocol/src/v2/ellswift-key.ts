import { createHash } from 'node:crypto';
import { bigToBytes, bytesToBig, ellswiftDecode, ellswiftEncode } from './ellswift.ts';
import { wasmEllswift } from './ellswift-wasm.ts';
import { allSecp256k1, defaultSecp256k1, type Secp256k1 } from './secp.ts';

/** An ephemeral v2 key: a fresh one per connection (`ellswiftCreate`). */
export interface EllswiftKey {
  /** The 32-byte private key. */
  readonly priv: Uint8Array;
  /** Our public key as sent on the wire. */
  readonly ellswift: Uint8Array;
  /** x-only ECDH with their encoding (BIP324's ellswift_ecdh_xonly): the shared x, 32 bytes. */
  sharedX(theirs: Uint8Array): Uint8Array;
  /** BIP324's v2_ecdh: the tagged hash of both encodings (initiator's first) and the shared x. */
  v2Ecdh(theirs: Uint8Array, initiating: boolean): Uint8Array;
}

/** Where keys are made and ECDH computed: libsecp256k1 in WebAssembly, or ellswift.ts's bigint code. */
export interface EllswiftBackend {
  readonly name: string;
  /** A new private key and a random ElligatorSwift encoding of its public key (ellswift_create). */
  create(): EllswiftKey;
  /** The key for a known private key and encoding (test vectors). */
  keyFrom(priv: Uint8Array, ellswift: Uint8Array): EllswiftKey;
}

/** SHA-256 after BIP340's tag prefix (the tag's hash, twice): one 64-byte block, hashed once and copied per use. */
const ECDH_PREFIX = (() => {
  const tag = createHash('sha256').update('bip324_ellswift_xonly_ecdh').digest();
  return createHash('sha256').update(tag).update(tag);
})();

/**
 * ellswift.ts's encoding and decoding around a `Secp256k1` backend's two scalar multiplications
 * (our key, the shared point). XSwiftEC's first candidate on the curve is found in bigint
 * (OpenSSL takes as long to refuse a point off the curve as to multiply one), then multiplied
 * as 0x02 || x.
 */
export function bigintEllswift(secp: Secp256k1): EllswiftBackend {
  const keyOf = (priv: Uint8Array, ellswift: Uint8Array): EllswiftKey => {
    const scalar = secp.key(priv);
    const sharedX = (theirs: Uint8Array) => {
      const compressed = new Uint8Array(33);
      compressed[0] = 2;
      bigToBytes(ellswiftDecode(theirs), compressed, 1);
      return scalar.sharedX(compressed);
    };
    return {
      priv,
      ellswift,
      sharedX,
      v2Ecdh(theirs, initiating) {
        const shared = sharedX(theirs);
        const h = ECDH_PREFIX.copy();
        if (initiating) h.update(ellswift).update(theirs);
        else h.update(theirs).update(ellswift);
        const d = h.update(shared).digest();
        return new Uint8Array(d.buffer, d.byteOffset, d.length);
      },
    };
  };
  return {
    name: `bigint+${secp.name}`,
    create() {
      const scalar = secp.key();
      return keyOf(scalar.priv, ellswiftEncode(bytesToBig(scalar.publicX())));
    },
    keyFrom: keyOf,
  };
}

/** `load()`'s backend, or the bigint one over the best scalar backend and why `load` failed. */
export function pickEllswift(load: () => EllswiftBackend): { backend: EllswiftBackend; error?: string } {
  try {
    return { backend: load() };
  } catch (err) {
    return {
      backend: bigintEllswift(defaultSecp256k1()),
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

let preferred: { backend: EllswiftBackend; error?: string } | undefined;

/** libsecp256k1 in WebAssembly when it loads (on the first call), else the bigint code over OpenSSL. */
export function defaultEllswift(): EllswiftBackend {
  preferred ??= pickEllswift(wasmEllswift);
  return preferred.backend;
}

/** Why the WebAssembly backend did not load, if it did not. */
export function ellswiftLoadError(): string | undefined {
  defaultEllswift();
  return preferred?.error;
}

/** Every backend this process has, for tests that check they agree. */
export function allEllswift(): EllswiftBackend[] {
  return [wasmEllswift(), ...allSecp256k1().map(bigintEllswift)];
}

export function ellswiftCreate(backend: EllswiftBackend = defaultEllswift()): EllswiftKey {
  return backend.create();
}

export function ellswiftKeyFrom(
  priv: Uint8Array,
  ellswift: Uint8Array,
  backend: EllswiftBackend = defaultEllswift(),
): EllswiftKey {
  return backend.keyFrom(priv, ellswift);
}

export function ellswiftEcdhXonly(theirs: Uint8Array, key: EllswiftKey): Uint8Array {
  return key.sharedX(theirs);
}

export function v2Ecdh(key: EllswiftKey, theirs: Uint8Array, initiating: boolean): Uint8Array {
  return key.v2Ecdh(theirs, initiating);
}
