import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { wasmAeadFits, wasmOpen, wasmSeal } from './aead-wasm.ts';

/**
 * BIP324's rekeying wrappers and key schedule (the AEAD is libsodium's in WebAssembly for small
 * packets and OpenSSL's for the rest, the length cipher @noble/ciphers').
 */

export const REKEY_INTERVAL = 224;
export const LENGTH_FIELD_LEN = 3;
export const TAG_LEN = 16;

function nonceFor(counter: number, epoch: number, nonce: Uint8Array): Uint8Array {
  const v = new DataView(nonce.buffer, nonce.byteOffset, 12);
  v.setUint32(0, counter, true);
  v.setUint32(4, epoch >>> 0, true);
  v.setUint32(8, Math.floor(epoch / 2 ** 32), true);
  return nonce;
}

/** Keystream made at a time: 3 blocks, 64 lengths (a crawl session uses about ten a direction). */
const PIECE = 192;

/**
 * FSChaCha20 as BIP324 uses it: only for 3-byte packet lengths. Every chunk is 3 bytes, so a
 * key's 224 chunks and the next key take exactly 224 * 3 + 32 = 704 bytes = 11 blocks of its
 * keystream, made PIECE bytes at a time as the chunks reach them, then read off.
 */
export class LengthCipher {
  private key: Uint8Array;
  private readonly stream = new Uint8Array(REKEY_INTERVAL * LENGTH_FIELD_LEN + 32);
  private readonly nonce = new Uint8Array(12);
  /** Keystream bytes made so far for this key. */
  private made = 0;
  private chunk = 0;
  private epoch = 0;

  constructor(key: Uint8Array) {
    this.key = key;
  }

  /** Makes keystream bytes up to at least `end` (block counters continue from `made`). */
  private extend(end: number): void {
    while (this.made < end) {
      const to = Math.min(this.made + PIECE, this.stream.length);
      const piece = this.stream.subarray(this.made, to);
      piece.fill(0);
      chacha20(this.key, nonceFor(0, this.epoch, this.nonce), piece, piece, this.made / 64);
      this.made = to;
    }
  }

  /** XORs the 3 bytes at `buf[at..at+3)` in place with the next chunk of keystream. */
  crypt(buf: Uint8Array, at: number): void {
    const k = this.chunk * LENGTH_FIELD_LEN;
    if (k + LENGTH_FIELD_LEN > this.made) this.extend(k + LENGTH_FIELD_LEN);
    for (let i = 0; i < LENGTH_FIELD_LEN; i++)
      buf[at + i] = (buf[at + i] as number) ^ (this.stream[k + i] as number);
    if (++this.chunk === REKEY_INTERVAL) {
      this.extend(this.stream.length);
      this.key = this.stream.slice(REKEY_INTERVAL * LENGTH_FIELD_LEN);
      this.chunk = 0;
      this.made = 0;
      this.epoch++;
    }
  }
}

/**
 * FSChaCha20Poly1305: ChaCha20-Poly1305 with a per-packet nonce and a new key every 224
 * packets. Packets up to 1 KB (the handshake's, pings) go through libsodium in WebAssembly
 * (aead-wasm.ts: ~1.5 µs each), longer ones through OpenSSL (node:crypto: ~8 µs of set-up a
 * packet, ~50 µs for 30 KB against WebAssembly's ~140); @noble/ciphers took 20 µs a small packet.
 */
export class PacketCipher {
  private key: Uint8Array;
  private readonly nonce = new Uint8Array(12);
  private counter = 0;
  private epoch = 0;

  constructor(key: Uint8Array) {
    this.key = key;
  }

  private advance(): void {
    if (++this.counter === REKEY_INTERVAL) {
      // The rekey nonce is 0xffffffff || epoch; the new key is the AEAD's first 32 ciphertext
      // bytes of 32 zeros, i.e. keystream bytes 64..96 (block 1: block 0 keys Poly1305).
      nonceFor(0xffff_ffff, this.epoch, this.nonce);
      this.key = chacha20(this.key, this.nonce, new Uint8Array(32), undefined, 1);
      this.counter = 0;
      this.epoch++;
    }
  }

  /** Encrypts `header` then `contents` (one plaintext, no copy to join them) into `out[at..at + 1 + n + 16)`. */
  encrypt(
    aad: Uint8Array | undefined,
    header: number,
    contents: Uint8Array,
    out: Uint8Array,
    at: number,
  ): void {
    const nonce = nonceFor(this.counter, this.epoch, this.nonce);
    if (wasmAeadFits(1 + contents.length, aad?.length ?? 0)) {
      wasmSeal(this.key, nonce, aad, header, contents, out, at);
      this.advance();
      return;
    }
    const c = createCipheriv('chacha20-poly1305', this.key, nonce, { authTagLength: TAG_LEN });
    if (aad && aad.length > 0) c.setAAD(aad, { plaintextLength: 1 + contents.length });
    // The plaintext is laid out in `out` and encrypted in one call (one per packet, not two).
    const plain = out.subarray(at, at + 1 + contents.length);
    plain[0] = header;
    plain.set(contents, 1);
    out.set(c.update(plain), at);
    c.final();
    out.set(c.getAuthTag(), at + 1 + contents.length);
    this.advance();
  }

  /** The plaintext, or undefined when the tag does not match (the key still advances). */
  decrypt(aad: Uint8Array | undefined, sealed: Uint8Array): Uint8Array | undefined {
    let plain: Uint8Array | undefined;
    if (sealed.length >= TAG_LEN && wasmAeadFits(sealed.length - TAG_LEN, aad?.length ?? 0)) {
      plain = wasmOpen(this.key, nonceFor(this.counter, this.epoch, this.nonce), aad, sealed);
    } else if (sealed.length >= TAG_LEN) {
      const n = sealed.length - TAG_LEN;
      const d = createDecipheriv(
        'chacha20-poly1305',
        this.key,
        nonceFor(this.counter, this.epoch, this.nonce),
        {
          authTagLength: TAG_LEN,
        },
      );
      d.setAuthTag(sealed.subarray(n));
      if (aad && aad.length > 0) d.setAAD(aad, { plaintextLength: n });
      const b = d.update(sealed.subarray(0, n));
      plain = new Uint8Array(b.buffer, b.byteOffset, b.length); // a plain view, as noble's was
      try {
        d.final();
      } catch {
        plain = undefined; // a bad tag
      }
    }
    this.advance();
    return plain;
  }
}

export interface SessionKeys {
  sessionId: Uint8Array;
  initiatorL: Uint8Array;
  initiatorP: Uint8Array;
  responderL: Uint8Array;
  responderP: Uint8Array;
  initiatorGarbageTerminator: Uint8Array;
  responderGarbageTerminator: Uint8Array;
}

const text = (s: string) => new TextEncoder().encode(s);
const SALT_PREFIX = text('bitcoin_v2_shared_secret');
const INFO = {
  sessionId: text('session_id'),
  initiatorL: text('initiator_L'),
  initiatorP: text('initiator_P'),
  responderL: text('responder_L'),
  responderP: text('responder_P'),
  terminators: text('garbage_terminators'),
};

const ONE = Uint8Array.of(1);
/** HKDF-Expand (RFC 5869) of one block: every output here is 32 bytes, T(1) = HMAC(prk, info || 0x01). */
function expand32(prk: Uint8Array, info: Uint8Array): Uint8Array {
  const b = createHmac('sha256', prk).update(info).update(ONE).digest();
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * HKDF-SHA256 with the network magic in the salt (initialize_v2_transport), its seven HMACs in
 * OpenSSL (node:crypto; ~65 µs against @noble/hashes' ~80 here).
 */
export function deriveKeys(ecdhSecret: Uint8Array, magic: Uint8Array): SessionKeys {
  const salt = new Uint8Array(SALT_PREFIX.length + magic.length);
  salt.set(SALT_PREFIX);
  salt.set(magic, SALT_PREFIX.length);
  const prk = createHmac('sha256', salt).update(ecdhSecret).digest(); // HKDF-Extract
  const terminators = expand32(prk, INFO.terminators);
  return {
    sessionId: expand32(prk, INFO.sessionId),
    initiatorL: expand32(prk, INFO.initiatorL),
    initiatorP: expand32(prk, INFO.initiatorP),
    responderL: expand32(prk, INFO.responderL),
    responderP: expand32(prk, INFO.responderP),
    initiatorGarbageTerminator: terminators.subarray(0, 16),
    responderGarbageTerminator: terminators.subarray(16),
  };
}

/** One direction of a session: the length and packet ciphers. */
export class PacketSealer {
  private readonly len: LengthCipher;
  private readonly aead: PacketCipher;
  constructor(l: Uint8Array, p: Uint8Array) {
    this.len = new LengthCipher(l);
    this.aead = new PacketCipher(p);
  }

  /** v2_enc_packet: encrypted length (3) | ChaCha20-Poly1305(header byte | contents) (1 + n + 16). */
  seal(contents: Uint8Array, aad?: Uint8Array, ignore = false): Uint8Array {
    const n = contents.length;
    if (n > 0xff_ffff) throw new RangeError(`v2 packet contents of ${n} bytes (limit 16,777,215)`);
    const out = new Uint8Array(LENGTH_FIELD_LEN + 1 + n + TAG_LEN);
    out[0] = n & 0xff;
    out[1] = (n >>> 8) & 0xff;
    out[2] = n >>> 16;
    this.len.crypt(out, 0);
    this.aead.encrypt(aad, ignore ? 0x80 : 0, contents, out, LENGTH_FIELD_LEN);
    return out;
  }
}

/** The receiving direction: lengths and packets decrypted separately (the length comes first). */
export class PacketOpener {
  private readonly len: LengthCipher;
  private readonly aead: PacketCipher;
  constructor(l: Uint8Array, p: Uint8Array) {
    this.len = new LengthCipher(l);
    this.aead = new PacketCipher(p);
  }

  /** The contents length from the 3 encrypted bytes at `buf[at..]` (the bytes are decrypted in place). */
  openLength(buf: Uint8Array, at: number): number {
    this.len.crypt(buf, at);
    return (buf[at] as number) | ((buf[at + 1] as number) << 8) | ((buf[at + 2] as number) << 16);
  }

  /** header byte | contents, or undefined for a bad tag. */
  open(sealed: Uint8Array, aad?: Uint8Array): Uint8Array | undefined {
    return this.aead.decrypt(aad, sealed);
  }
}
