import { createCipheriv } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WASM_AEAD_MAX, wasmAeadFits, wasmOpen, wasmSeal } from './aead-wasm.ts';

/** OpenSSL's ChaCha20-Poly1305 (node:crypto), the reference: ciphertext then tag. */
function opensslSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  if (aad.length > 0) c.setAAD(aad, { plaintextLength: plain.length });
  const body = c.update(plain);
  c.final();
  return Buffer.concat([body, c.getAuthTag()]);
}

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

describe('libsodium ChaCha20-Poly1305 (WebAssembly)', () => {
  it('seals as OpenSSL does and opens what OpenSSL sealed, with and without associated data', () => {
    fc.assert(
      fc.property(
        bytes(32, 32),
        bytes(12, 12),
        fc.oneof(bytes(0, 0), bytes(1, 64), bytes(4000, 4096)),
        fc.integer({ min: 0, max: 255 }),
        fc.oneof(bytes(0, 40), bytes(WASM_AEAD_MAX - 9, WASM_AEAD_MAX - 1)),
        (key, nonce, aad, header, contents) => {
          const plain = Uint8Array.from([header, ...contents]);
          expect(wasmAeadFits(plain.length, aad.length)).toBe(true);
          const want = opensslSeal(key, nonce, aad, plain);
          const out = new Uint8Array(3 + want.length);
          wasmSeal(key, nonce, aad, header, contents, out, 3);
          expect(Buffer.from(out.subarray(3)).equals(want)).toBe(true);
          expect(wasmOpen(key, nonce, aad, want)).toEqual(plain);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a wrong tag, ciphertext, nonce or associated data', () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(12).fill(1);
    const aad = Uint8Array.of(1, 2, 3);
    const sealed = opensslSeal(key, nonce, aad, Uint8Array.of(0, 10, 20, 30));
    expect(wasmOpen(key, nonce, aad, sealed)).toEqual(Uint8Array.of(0, 10, 20, 30));
    for (let i = 0; i < sealed.length; i++) {
      const bad = Uint8Array.from(sealed);
      bad[i] = (bad[i] as number) ^ 1;
      expect(wasmOpen(key, nonce, aad, bad), `byte ${i}`).toBeUndefined();
    }
    expect(wasmOpen(key, new Uint8Array(12), aad, sealed)).toBeUndefined();
    expect(wasmOpen(key, nonce, Uint8Array.of(1, 2), sealed)).toBeUndefined();
    expect(wasmOpen(key, nonce, undefined, sealed)).toBeUndefined();
  });

  it('takes packets up to WASM_AEAD_MAX bytes and associated data up to 4,096', () => {
    expect(wasmAeadFits(WASM_AEAD_MAX, 4096)).toBe(true);
    expect(wasmAeadFits(WASM_AEAD_MAX + 1, 0)).toBe(false);
    expect(wasmAeadFits(1, 4097)).toBe(false);
  });
});
