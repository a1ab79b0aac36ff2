import { WASM_BASE64, WASM_SHA256 } from './aead-wasm.generated.ts';
import { type EmbeddedExports, instantiateEmbedded, ioBuffer } from './wasm-module.ts';

/**
 * ChaCha20-Poly1305 (RFC 8439, BIP324's AEAD) for small packets, in libsodium 1.0.18 built to
 * WebAssembly by wasm/build.sh: ~1.5 µs a packet of up to a few hundred bytes, against ~8 µs
 * through node:crypto, whose cost is the set-up of a cipher object per packet. OpenSSL is faster
 * per byte, so packets longer than WASM_AEAD_MAX (a getaddr answer) stay there (cipher.ts).
 * Loaded on first use, once per thread; cipher.ts uses node:crypto alone when it cannot load.
 */
interface Exports extends EmbeddedExports {
  seal(len: number, aadLen: number): number;
  open(len: number, aadLen: number): number;
}

// libsodium-glue.c's I/O buffer.
const KEY = 0;
const NONCE = 32;
const TAG = 44;
const AAD = 64;
const AAD_MAX = 4096;
const DATA = 4160;
const DATA_MAX = 2048;
/** The longest plaintext (header byte and contents) sealed or opened here. */
export const WASM_AEAD_MAX = 1024;

let state: { e: Exports; io: Uint8Array } | 'unavailable' | undefined;

function load(): { e: Exports; io: Uint8Array } | undefined {
  if (state === undefined) {
    try {
      const e = instantiateEmbedded<Exports>(WASM_BASE64, WASM_SHA256, 'libsodium');
      state = { e, io: ioBuffer(e, DATA + DATA_MAX) };
    } catch {
      state = 'unavailable';
    }
  }
  return state === 'unavailable' ? undefined : state;
}

/** Whether `plainLength` bytes with `aadLength` of associated data can go through here. */
export function wasmAeadFits(plainLength: number, aadLength: number): boolean {
  return plainLength <= WASM_AEAD_MAX && aadLength <= AAD_MAX && load() !== undefined;
}

function setUp(io: Uint8Array, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined): number {
  io.set(key, KEY);
  io.set(nonce, NONCE);
  if (aad && aad.length > 0) io.set(aad, AAD);
  return aad?.length ?? 0;
}

/**
 * Encrypts `header` then `contents` into `out[at..at + 1 + n + 16)` (ciphertext, then tag).
 * Only after `wasmAeadFits` said yes.
 */
export function wasmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array | undefined,
  header: number,
  contents: Uint8Array,
  out: Uint8Array,
  at: number,
): void {
  const { e, io } = load() as NonNullable<ReturnType<typeof load>>;
  const aadLength = setUp(io, key, nonce, aad);
  const n = 1 + contents.length;
  io[DATA] = header;
  io.set(contents, DATA + 1);
  if (e.seal(n, aadLength) !== 1)
    throw new RangeError(`wasmSeal: ${n} bytes, ${aadLength} of them associated`);
  out.set(io.subarray(DATA, DATA + n), at);
  out.set(io.subarray(TAG, TAG + 16), at + n);
  io.fill(0, KEY, KEY + 32);
}

/** The plaintext of `sealed` (ciphertext, then tag), or undefined when the tag does not match. */
export function wasmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array | undefined,
  sealed: Uint8Array,
): Uint8Array | undefined {
  const { e, io } = load() as NonNullable<ReturnType<typeof load>>;
  const aadLength = setUp(io, key, nonce, aad);
  const n = sealed.length - 16;
  io.set(sealed.subarray(0, n), DATA);
  io.set(sealed.subarray(n), TAG);
  const ok = e.open(n, aadLength) === 1;
  io.fill(0, KEY, KEY + 32);
  return ok ? io.slice(DATA, DATA + n) : undefined;
}
