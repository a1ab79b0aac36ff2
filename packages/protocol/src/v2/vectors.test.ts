import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAINS } from '../networks.ts';
import { deriveKeys, PacketOpener, PacketSealer } from './cipher.ts';
import {
  bytesToBig,
  ellswiftCreate,
  ellswiftDecode,
  ellswiftEcdhXonly,
  ellswiftEncode,
  ellswiftKeyFrom,
  invMod,
  isSquare,
  sqrtMod,
  v2Ecdh,
  xswiftecInv,
} from './ellswift.ts';
import { allSecp256k1, defaultSecp256k1, pickSecp256k1, wasmLoadError } from './secp.ts';

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
  it.each(rows)('row $i: $comment', (r) => {
    expect(ellswiftDecode(hex(r.ellswift as string))).toBe(big(r.x as string));
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
    // Every scalar-multiplication backend: libsecp256k1 (WASM), OpenSSL, noble.
    for (const secp of allSecp256k1()) {
      const key = ellswiftKeyFrom(priv, ours, secp);
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

describe('secp256k1 backends', () => {
  it('loads libsecp256k1 (WASM) as the default', () => {
    expect(defaultSecp256k1().name).toBe('libsecp256k1-wasm');
    expect(wasmLoadError()).toBeUndefined();
  });

  it('falls back to OpenSSL, with the reason, when the WASM build cannot load', () => {
    const picked = pickSecp256k1(() => {
      throw new Error("Cannot find module 'tiny-secp256k1'");
    });
    expect(picked.secp.name).toBe('openssl');
    expect(picked.error).toContain('tiny-secp256k1');
    const key = ellswiftCreate(picked.secp);
    expect(ellswiftDecode(key.ellswift).toString(16).padStart(64, '0')).toBe(toHex(key.scalar.publicX()));
  });

  it('agree on G·k and x-only ECDH, and an ellswift key decodes to its public x', () => {
    const backends = allSecp256k1();
    expect(backends.map((b) => b.name)).toContain('noble');
    for (let i = 0; i < 8; i++) {
      const ours = ellswiftCreate(backends[i % backends.length]);
      const theirs = ellswiftCreate();
      const x = toHex(ours.scalar.publicX());
      expect(ellswiftDecode(ours.ellswift).toString(16).padStart(64, '0')).toBe(x);
      const shared = toHex(ellswiftEcdhXonly(theirs.ellswift, ours));
      // ECDH is symmetric, and every backend computes the same x from the same private key.
      expect(toHex(ellswiftEcdhXonly(ours.ellswift, theirs))).toBe(shared);
      for (const b of backends) {
        const key = ellswiftKeyFrom(ours.priv, ours.ellswift, b);
        expect(toHex(key.scalar.publicX()), b.name).toBe(x);
        expect(toHex(ellswiftEcdhXonly(theirs.ellswift, key)), b.name).toBe(shared);
      }
    }
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
