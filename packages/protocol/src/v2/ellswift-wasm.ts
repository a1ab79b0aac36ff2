import type { EllswiftBackend, EllswiftKey } from './ellswift-key.ts';
import { WASM_BASE64, WASM_SHA256 } from './ellswift-wasm.generated.ts';
import { fillRandom } from './random.ts';
import { type EmbeddedExports, instantiateEmbedded, ioBuffer } from './wasm-module.ts';

/**
 * BIP324's key and ECDH in libsecp256k1's own ElligatorSwift module (0.5.0), built to
 * WebAssembly by wasm/build.sh and embedded in ellswift-wasm.generated.ts: ~0.13 ms for
 * a key and ~0.15 ms for the ECDH, against ~0.4 and ~0.5 ms for ellswift.ts's bigint encoding
 * around a scalar multiplication. Everything is constant time here, the encoding included.
 *
 * The module is compiled and instantiated on first use, once per thread (about 10 ms), since
 * this package does nothing at import time; ellswift.ts falls back to its own code when it
 * cannot load (WebAssembly disabled, as under `node --jitless`).
 */
interface Exports extends EmbeddedExports {
  init(): number;
  create(): number;
  xdh(party: number, mode: number): number;
}

// libsecp256k1-glue.c's I/O buffer: private key, randomness, our encoding, theirs, the result.
const PRIV = 0;
const RAND = 32;
const OURS = 64;
const THEIRS = 128;
const OUT = 192;

let lib: { e: Exports; io: Uint8Array } | undefined;

function load(): { e: Exports; io: Uint8Array } {
  if (lib) return lib;
  const e = instantiateEmbedded<Exports>(WASM_BASE64, WASM_SHA256, 'libsecp256k1');
  const io = ioBuffer(e, 256);
  fillRandom(io.subarray(RAND, RAND + 32));
  const ok = e.init();
  io.fill(0);
  if (ok !== 1) throw new Error('libsecp256k1 WebAssembly: the context could not be made');
  lib = { e, io };
  return lib;
}

/** One xdh call; the private key leaves the module's memory when it returns. */
function xdh(
  priv: Uint8Array,
  ours: Uint8Array,
  theirs: Uint8Array,
  party: number,
  mode: number,
): Uint8Array {
  const { e, io } = load();
  if (theirs.length !== 64)
    throw new RangeError(`ellswift: their encoding is ${theirs.length} bytes, not 64`);
  io.set(priv, PRIV);
  io.set(ours, OURS);
  io.set(theirs, THEIRS);
  const ok = e.xdh(party, mode);
  const out = io.slice(OUT, OUT + 32);
  io.fill(0, PRIV, PRIV + 32);
  if (ok !== 1) throw new RangeError('ellswift: the private key is not in [1, n)');
  return out;
}

function keyOf(priv: Uint8Array, ellswift: Uint8Array): EllswiftKey {
  return {
    priv,
    ellswift,
    sharedX: (theirs) => xdh(priv, ellswift, theirs, 0, 1),
    v2Ecdh: (theirs, initiating) => xdh(priv, ellswift, theirs, initiating ? 0 : 1, 0),
  };
}

/** The backend; throws when the module cannot be loaded. */
export function wasmEllswift(): EllswiftBackend {
  load();
  return {
    name: 'libsecp256k1-wasm',
    create() {
      const { e, io } = load();
      for (;;) {
        fillRandom(io.subarray(PRIV, RAND + 32)); // a private key and the encoding's randomness
        const ok = e.create();
        const priv = io.slice(PRIV, PRIV + 32);
        const ellswift = io.slice(OURS, OURS + 64);
        io.fill(0, PRIV, RAND + 32);
        if (ok === 1) return keyOf(priv, ellswift); // else the key was 0 or >= n (p ~ 2^-128)
      }
    },
    keyFrom(priv, ellswift) {
      if (priv.length !== 32 || ellswift.length !== 64)
        throw new RangeError('ellswift: key of the wrong length');
      return keyOf(priv, ellswift);
    },
  };
}
