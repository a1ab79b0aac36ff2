import { readFileSync } from 'node:fs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAINS } from '../networks.ts';
import { deriveKeys, PacketOpener, PacketSealer } from './cipher.ts';
import {
  bytesToBig,
  ellswiftDecode,
  ellswiftEncode,
  invMod,
  isSquare,
  sqrtMod,
  xswiftecInv,
} from './ellswift.ts';
import {
  allEllswift,
  defaultEllswift,
  ellswiftCreate,
  ellswiftEcdhXonly,
  ellswiftKeyFrom,
  ellswiftLoadError,
  pickEllswift,
  v2Ecdh,
} from './ellswift-key.ts';
import { wasmEllswift } from './ellswift-wasm.ts';
import { allSecp256k1 } from './secp.ts';

/** BIP324's official vectors (fixtures/bip324, copied unchanged from the BIPs repository). */
function csv(name: string): Record<string, string>[] {
  // Each row also gets `i`, its index (as text), for the test names.
  const [head, ...rows] = readFileSync(new URL(`../../fixtures/bip324/${name}`, import.meta.url), 'utf8')
    .trim()
    .split(/\r?\n/);
  const cols = (head as string).split(',');
  return rows.map((r, row) => ({
    ...Object.fromEntries(r.split(',').map((v, i) => [cols[i], v])),
    i: String(row),
  }));
}
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const big = (s: string) => BigInt(`0x${s}`);

describe('ellswift_decode_test_vectors.csv', () => {
  const rows = csv('ellswift_decode_test_vectors.csv');
  it('has every row', () => expect(rows.length).toBe(76));
  // libsecp256k1 decodes inside its ECDH: with the private key 1, the shared x is the decoded x.
  const one = new Uint8Array(32);
  one[31] = 1;
  const wasmOne = wasmEllswift().keyFrom(one, new Uint8Array(64));
  it.each(rows)('row $i: $comment', (r) => {
    expect(ellswiftDecode(hex(r.ellswift as string))).toBe(big(r.x as string));
    expect(toHex(wasmOne.sharedX(hex(r.ellswift as string)))).toBe(r.x);
  });
});

describe('xswiftec_inv_test_vectors.csv', () => {
  const rows = csv('xswiftec_inv_test_vectors.csv');
  it('has every row', () => expect(rows.length).toBe(32));
  it.each(rows)('row $i: $comment', (r) => {
    for (let c = 0; c < 8; c++) {
      const want = r[`case${c}_t`] as string;
      const t = xswiftecInv(big(r.x as string), big(r.u as string), c);
      expect(t === undefined ? '' : t.toString(16).padStart(64, '0'), `case ${c}`).toBe(want);
    }
  });
});

describe('packet_encoding_test_vectors.csv', () => {
  const rows = csv('packet_encoding_test_vectors.csv');
  const magic = CHAINS.mainnet.magic;
  it('has every row', () => expect(rows.length).toBe(7));

  it.each(rows)('row $i: packet $in_idx, initiating=$in_initiating, x$in_multiply', (r) => {
    const v = r as Record<string, string>;
    const initiating = v.in_initiating === '1';
    const ours = hex(v.in_ellswift_ours as string);
    const theirs = hex(v.in_ellswift_theirs as string);
    const priv = hex(v.in_priv_ours as string);
    expect(ellswiftDecode(ours)).toBe(big(v.mid_x_ours as string));
    expect(ellswiftDecode(theirs)).toBe(big(v.mid_x_theirs as string));
    // Every backend: libsecp256k1 (WASM), and the bigint code over OpenSSL and over noble.
    for (const backend of allEllswift()) {
      const key = ellswiftKeyFrom(priv, ours, backend);
      expect(toHex(ellswiftEcdhXonly(theirs, key))).toBe(v.mid_x_shared);
      expect(toHex(v2Ecdh(key, theirs, initiating))).toBe(v.mid_shared_secret);
    }
    const keys = deriveKeys(hex(v.mid_shared_secret as string), magic);
    expect(toHex(keys.initiatorL)).toBe(v.mid_initiator_l);
    expect(toHex(keys.initiatorP)).toBe(v.mid_initiator_p);
    expect(toHex(keys.responderL)).toBe(v.mid_responder_l);
    expect(toHex(keys.responderP)).toBe(v.mid_responder_p);
    const [sendT, recvT] = initiating
      ? [keys.initiatorGarbageTerminator, keys.responderGarbageTerminator]
      : [keys.responderGarbageTerminator, keys.initiatorGarbageTerminator];
    expect(toHex(sendT)).toBe(v.mid_send_garbage_terminator);
    expect(toHex(recvT)).toBe(v.mid_recv_garbage_terminator);
    expect(toHex(keys.sessionId)).toBe(v.out_session_id);

    // Our side seals packet in_idx; the other side, with the same keys, opens it.
    const [l, p] = initiating ? [keys.initiatorL, keys.initiatorP] : [keys.responderL, keys.responderP];
    const sealer = new PacketSealer(l, p);
    const opener = new PacketOpener(l, p);
    const unit = hex(v.in_contents as string);
    const contents = new Uint8Array(unit.length * Number(v.in_multiply));
    for (let i = 0; i < Number(v.in_multiply); i++) contents.set(unit, i * unit.length);
    const aad = hex(v.in_aad as string);
    for (let i = 0; i < Number(v.in_idx); i++) {
      const dummy = sealer.seal(new Uint8Array(0));
      expect(opener.openLength(dummy, 0)).toBe(0);
      expect(opener.open(dummy.subarray(3))).toEqual(new Uint8Array(1));
    }
    const packet = sealer.seal(contents, aad, v.in_ignore === '1');
    if (v.out_ciphertext) expect(toHex(packet)).toBe(v.out_ciphertext);
    else expect(toHex(packet).endsWith(v.out_ciphertext_endswith as string)).toBe(true);

    expect(opener.openLength(packet, 0)).toBe(contents.length);
    const plain = opener.open(packet.subarray(3), aad) as Uint8Array;
    expect(plain[0]).toBe(v.in_ignore === '1' ? 0x80 : 0);
    expect(toHex(plain.subarray(1))).toBe(toHex(contents));
  });
});

describe('field helpers', () => {
  it('bytesToBig reads big-endian', () => {
    expect(bytesToBig(hex('0102'))).toBe(0x102n);
  });

  it('isSquare (Jacobi symbol) agrees with sqrtMod (a^((p+1)/4), checked)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), (a) => {
        expect(isSquare(a)).toBe(sqrtMod(a) !== undefined);
      }),
      { numRuns: 300 },
    );
    expect(isSquare(0n)).toBe(true);
    expect(isSquare(4n)).toBe(true);
  });

  it('invMod is the inverse mod p', () => {
    const P = 2n ** 256n - 0x1000003d1n;
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: P - 1n }), (a) => {
        expect((invMod(a) * a) % P).toBe(1n);
      }),
      { numRuns: 300 },
    );
    expect(invMod(P - 1n)).toBe(P - 1n);
    expect(() => invMod(P)).toThrow(RangeError);
  });
});

describe('ellswift backends', () => {
  const publicX = (priv: Uint8Array) => toHex(secp256k1.getPublicKey(priv, true).subarray(1));

  it('loads libsecp256k1 (WASM) as the default', () => {
    expect(defaultEllswift().name).toBe('libsecp256k1-wasm');
    expect(ellswiftLoadError()).toBeUndefined();
  });

  it('falls back to the bigint code over OpenSSL, with the reason, when the WASM build cannot load', () => {
    const picked = pickEllswift(() => {
      throw new Error('WebAssembly is not defined');
    });
    expect(picked.backend.name).toBe('bigint+openssl');
    expect(picked.error).toContain('WebAssembly');
    const key = ellswiftCreate(picked.backend);
    expect(ellswiftDecode(key.ellswift).toString(16).padStart(64, '0')).toBe(publicX(key.priv));
  });

  it('agree on keys and x-only ECDH, and a key decodes to its public x', () => {
    const backends = allEllswift();
    expect(backends.map((b) => b.name)).toEqual(['libsecp256k1-wasm', 'bigint+openssl', 'bigint+noble']);
    for (let i = 0; i < 12; i++) {
      const ours = ellswiftCreate(backends[i % backends.length]);
      const theirs = ellswiftCreate();
      expect(ellswiftDecode(ours.ellswift).toString(16).padStart(64, '0')).toBe(publicX(ours.priv));
      const shared = toHex(ellswiftEcdhXonly(theirs.ellswift, ours));
      // ECDH is symmetric, and every backend computes the same x and secret from the same key.
      expect(toHex(ellswiftEcdhXonly(ours.ellswift, theirs))).toBe(shared);
      const secret = toHex(v2Ecdh(ours, theirs.ellswift, true));
      expect(toHex(v2Ecdh(theirs, ours.ellswift, false))).toBe(secret);
      for (const b of backends) {
        const key = ellswiftKeyFrom(ours.priv, ours.ellswift, b);
        expect(toHex(ellswiftEcdhXonly(theirs.ellswift, key)), b.name).toBe(shared);
        expect(toHex(v2Ecdh(key, theirs.ellswift, true)), b.name).toBe(secret);
      }
    }
  });

  it("private keys are 32 bytes in every backend (OpenSSL drops a generated key's leading zeros)", () => {
    // 1,000 OpenSSL keys hold one with a leading zero byte with probability 1 - (255/256)^1000 > 98%.
    for (const secp of allSecp256k1())
      for (let i = 0; i < (secp.name === 'openssl' ? 1000 : 20); i++) {
        const key = secp.key();
        expect(key.priv.length, secp.name).toBe(32);
        // The keys that start with a zero byte are the ones OpenSSL gives short.
        if (i < 5 || key.priv[0] === 0) expect(toHex(key.publicX())).toBe(publicX(key.priv));
      }
    for (const backend of allEllswift()) expect(backend.create().priv.length, backend.name).toBe(32);
  });

  it('libsecp256k1 draws fresh keys and encodings, and refuses a private key outside [1, n)', () => {
    const wasm = wasmEllswift();
    const keys = Array.from({ length: 50 }, () => wasm.create());
    expect(new Set(keys.map((k) => toHex(k.priv))).size).toBe(50);
    expect(new Set(keys.map((k) => toHex(k.ellswift))).size).toBe(50);
    // The same key, encoded twice: two different encodings of one x.
    const again = wasm.create();
    expect(toHex(again.ellswift)).not.toBe(toHex(keys[0]!.ellswift));
    const theirs = keys[1]!.ellswift;
    expect(() => wasm.keyFrom(new Uint8Array(32), keys[0]!.ellswift).sharedX(theirs)).toThrow(
      /not in \[1, n\)/,
    );
    const n = hex('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
    expect(() => wasm.keyFrom(n, keys[0]!.ellswift).v2Ecdh(theirs, true)).toThrow(/not in \[1, n\)/);
    expect(() => keys[0]!.sharedX(theirs.subarray(0, 63))).toThrow(RangeError);
  });
});

describe('ellswiftEncode (XElligatorSwift)', () => {
  // A seeded generator: the checks below are deterministic.
  let seed = 0x2545f491;
  const seeded = (out: Uint8Array) => {
    for (let i = 0; i < out.length; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      out[i] = seed >>> 24;
    }
  };
  const P = 2n ** 256n - 0x1000003d1n;
  const xs = Array.from({ length: 6 }, () => ellswiftDecode(ellswiftCreate().ellswift));

  it('draws u = x - y^4 for cases 2, 3, 6, 7 and answers as XSwiftECInv does', () => {
    for (const x of xs) {
      for (let i = 0; i < 40; i++) {
        const first = new Uint8Array(33);
        seeded(first);
        first[32] = ((first[32] as number) & ~0x0f) | 8 | [2, 3, 6, 7][i % 4]!;
        const y = bytesToBig(first.subarray(0, 32)) % P;
        const u = (((x - y ** 4n) % P) + P) % P;
        const t = xswiftecInv(x, u, (first[32] as number) & 7);
        let calls = 0;
        const enc = ellswiftEncode(x, (out) => (calls++ === 0 ? out.set(first) : seeded(out)));
        expect(ellswiftDecode(enc)).toBe(x);
        if (t !== undefined) {
          expect(bytesToBig(enc.subarray(0, 32))).toBe(u);
          expect(bytesToBig(enc.subarray(32))).toBe(t);
        }
      }
    }
  });

  it("gives the reference loop's distribution (share of encodings with x - u a square)", () => {
    // BIP324's xelligatorswift: random u and case until xswiftec_inv answers.
    const reference = (x: bigint): bigint => {
      const r = new Uint8Array(33);
      for (;;) {
        seeded(r);
        const u = bytesToBig(r.subarray(0, 32)) % P;
        if (u !== 0n && xswiftecInv(x, u, (r[32] as number) & 7) !== undefined) return u;
      }
    };
    const N = 1500;
    let ours = 0;
    let theirs = 0;
    for (let i = 0; i < N; i++) {
      const x = xs[i % xs.length] as bigint;
      if (isSquare(x - bytesToBig(ellswiftEncode(x, seeded).subarray(0, 32)))) ours++;
      if (isSquare(x - reference(x))) theirs++;
    }
    // ~0.75 for both; drawing u = x - y^4 without the coin would give ~0.83.
    expect(Math.abs(ours - theirs) / N).toBeLessThan(0.045);
    expect(Math.abs(theirs / N - 0.75)).toBeLessThan(0.045);
  });
});
