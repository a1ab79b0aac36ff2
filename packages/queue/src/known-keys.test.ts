import { onionFromPubkey, packAddrs, packedCount, unpackAddrs } from '@bitcrawl/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EndpointTable, KnownKeys } from './known-keys.ts';

const entry = (i: number, network: 'ipv4' | 'onion' = 'ipv4') => ({
  time: 1_700_000_000 + i,
  services: 1033n,
  network,
  host: network === 'ipv4' ? `10.0.${i >> 8}.${i & 255}` : onionFromPubkey(new Uint8Array(32).fill(i)),
  port: 8333,
});

describe('known keys', () => {
  it('passes on only the entries not put to the round before, once the commit that carried them succeeded', () => {
    const k = new KnownKeys();
    const first = [entry(1), entry(2), entry(3, 'onion')];
    const a = k.unknown('r1', packAddrs(first));
    expect(unpackAddrs(a.candidates)).toEqual(first);
    // Not remembered yet (the commit failed, say): the retry asks about all of them again.
    expect(packedCount(k.unknown('r1', packAddrs(first)).candidates)).toBe(3);
    a.remember();
    const b = k.unknown('r1', packAddrs([entry(2), entry(4), entry(3, 'onion'), entry(5, 'onion')]));
    expect(unpackAddrs(b.candidates)).toEqual([entry(4), entry(5, 'onion')]);
    // Another round starts from nothing.
    expect(packedCount(k.unknown('r2', packAddrs(first)).candidates)).toBe(3);
  });

  it('starts over past its bound', () => {
    const k = new KnownKeys(2);
    k.unknown('r', packAddrs([entry(1), entry(2), entry(3)])).remember();
    expect(packedCount(k.unknown('r', packAddrs([entry(1)])).candidates)).toBe(1);
  });
});

describe('EndpointTable', () => {
  it('holds exactly the (address, port) pairs added, through growth and clear, like a Set', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            // Few distinct values, so pairs repeat and probe runs collide; the extremes included.
            fc.constantFrom(0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x0a00_0001, 0xc0a8_0101),
            fc.constantFrom(0, 1, 8333, 18333, 65535),
            fc.boolean(),
          ),
          { maxLength: 300 },
        ),
        fc.array(fc.tuple(fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 65535 })), { maxLength: 3000 }),
        (ops, bulk) => {
          const t = new EndpointTable();
          const ref = new Set<string>();
          for (const [a, p] of bulk) {
            t.add(a, p);
            ref.add(`${a}:${p}`);
          }
          for (const [a, p, add] of ops) {
            if (add) {
              t.add(a, p);
              ref.add(`${a}:${p}`);
            }
            expect(t.has(a, p)).toBe(ref.has(`${a}:${p}`));
          }
          expect(t.size).toBe(ref.size);
          for (const k of ref) {
            const [a, p] = k.split(':').map(Number) as [number, number];
            expect(t.has(a, p)).toBe(true);
          }
          t.clear();
          expect(t.size).toBe(0);
          for (const [a, p] of bulk) expect(t.has(a, p)).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
