import { onionFromPubkey, packAddrs, packedCount, unpackAddrs } from '@bitcrawl/protocol';
import { describe, expect, it } from 'vitest';
import { KnownKeys } from './known-keys.ts';

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
