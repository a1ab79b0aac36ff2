import { type AddrEntry, packAddrs, packedListOf, packList } from '@bitcrawl/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSet } from './address-set.ts';

/** The plain definition: first occurrence of each (network, host, port) wins, up to max. */
function reference(lists: AddrEntry[][], max: number): { values: AddrEntry[]; truncated: boolean[] } {
  const seen = new Set<string>();
  const values: AddrEntry[] = [];
  const truncated: boolean[] = [];
  for (const list of lists) {
    let dropped = false;
    for (const a of list) {
      const k = `${a.network}|${a.host}|${a.port}`;
      if (seen.has(k)) continue;
      if (values.length >= max) {
        dropped = true;
        break;
      }
      seen.add(k);
      values.push(a);
    }
    truncated.push(dropped);
  }
  return { values, truncated };
}

// Few hosts and ports, so repeats are common; IPv6 and CJDNS share a text form on purpose.
const entry: fc.Arbitrary<AddrEntry> = fc
  .record({
    h: fc.integer({ min: 0, max: 30 }),
    port: fc.constantFrom(8333, 18333, 1),
    cjdns: fc.boolean(),
    time: fc.nat({ max: 0xffff_ffff }),
  })
  .map(({ h, port, cjdns, time }) =>
    h < 20
      ? { time, services: 1n, network: 'ipv4', host: `10.0.0.${h}`, port }
      : { time, services: 1n, network: cjdns ? 'cjdns' : 'ipv6', host: `fc00::${h}`, port },
  );

describe('AddressSet', () => {
  it('keeps the first of each endpoint in arrival order, up to max, over any sequence of messages, mutating none', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(entry, { maxLength: 60 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 80 }),
        (lists, max) => {
          const before = lists.map((l) => [...l]);
          const set = new AddressSet();
          const truncated = lists.map((l) => set.add(l, max));
          expect(lists).toEqual(before); // an adopted message array is never mutated
          const want = reference(lists, max);
          expect(set.values()).toEqual(want.values);
          expect(set.size).toBe(want.values.length);
          expect(truncated).toEqual(want.truncated);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('joins a few entries and then a whole answer (a self-announcement, then the answer) like any other sequence', () => {
    // Distinct answers over a wider host space, so the path taken is the joining one.
    const wide: fc.Arbitrary<AddrEntry> = fc
      .integer({ min: 0, max: 200 })
      .map((h) => ({ time: h, services: 1n, network: 'ipv4', host: `10.0.${h >> 4}.${h & 15}`, port: 8333 }));
    const distinct = fc.uniqueArray(wide, { selector: (a) => a.host, maxLength: 120 });
    fc.assert(
      fc.property(
        fc.array(distinct, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 250 }),
        fc.boolean(),
        (lists, max, packed) => {
          const set = new AddressSet();
          const truncated = lists.map((l) => set.add(packed ? packedListOf(l) : l, max));
          const want = reference(lists, max);
          expect(set.values()).toEqual(want.values);
          expect(truncated).toEqual(want.truncated);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('keeps the first of a repeated endpoint, with its own time and services (entries are packed, not kept as objects)', () => {
    const a: AddrEntry = { time: 1, services: 1n, network: 'ipv4', host: '1.2.3.4', port: 8333 };
    const set = new AddressSet();
    set.add([a, { ...a, time: 2, services: 9n }], 10);
    expect(set.values()).toEqual([a]);
  });

  it('takes packed lists (the crawl session path) exactly as it takes the same entries decoded', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(entry, { maxLength: 60 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 80 }),
        (lists, max) => {
          const packed = lists.map((l) => packedListOf(l));
          const before = packed.map((l) => packList(l));
          const set = new AddressSet();
          const truncated = packed.map((l) => set.add(l, max));
          expect(packed.map((l) => packList(l))).toEqual(before); // an adopted list is never mutated
          const want = reference(lists, max);
          expect(set.packed()).toEqual(packAddrs(want.values));
          expect(truncated).toEqual(want.truncated);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('de-duplicates a message larger than the scratch table (the Map path) like any other', () => {
    const big: AddrEntry[] = Array.from({ length: 3000 }, (_, i) => ({
      time: 1,
      services: 1n,
      network: 'ipv4',
      host: `10.0.${(i % 1500) >> 8}.${(i % 1500) & 255}`,
      port: 8333,
    }));
    const set = new AddressSet();
    expect(set.add(big, 10_000)).toBe(false);
    expect(set.size).toBe(1500);
    expect(set.add(big, 1600)).toBe(false); // all present already: nothing dropped
    const more = new AddressSet();
    expect(more.add(big, 1000)).toBe(true);
    expect(more.size).toBe(1000);
  });

  it('sets filled one after another do not see each other (the shared table is per add)', () => {
    const a: AddrEntry = { time: 1, services: 1n, network: 'ipv4', host: '1.2.3.4', port: 8333 };
    for (let i = 0; i < 5; i++) {
      const set = new AddressSet();
      set.add([a], 10);
      expect(set.size).toBe(1);
    }
  });
});

describe('AddressSet.clone', () => {
  it('is independent of its original on both paths (scratch-filled and indexed)', () => {
    const e = (h: number): AddrEntry => ({
      time: 1,
      services: 1n,
      network: 'ipv4',
      host: `10.0.0.${h}`,
      port: 1,
    });
    const set = new AddressSet();
    set.add([e(1), e(2)], 10);
    const copy = set.clone();
    copy.add([e(3)], 10); // builds copy's index
    expect(set.values().map((a) => a.host)).toEqual(['10.0.0.1', '10.0.0.2']);
    set.add([e(4), e(1)], 10);
    const again = set.clone();
    again.add([e(4), e(5)], 10);
    expect(copy.values().map((a) => a.host)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(set.values().map((a) => a.host)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.4']);
    expect(again.values().map((a) => a.host)).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.4', '10.0.0.5']);
  });
});
