import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anyEntry } from '../arbitraries.test-util.ts';
import { ProtocolError } from '../errors.ts';
import { decodeAddrV2 } from '../messages/addrv2.ts';
import {
  cursorServices,
  EMPTY_PACKED,
  endpointFromKey,
  endpointKey,
  MAX_PACKED_ENTRIES,
  packAddrs,
  packedCount,
  unpackAddrs,
  walkPacked,
} from './packed.ts';

const sample = [
  { time: 1_700_000_000, services: 0xc09n, network: 'ipv4' as const, host: '1.2.3.4', port: 8333 },
  { time: 0xffff_ffff, services: 2n ** 64n - 1n, network: 'ipv6' as const, host: '2001:db8::1', port: 18333 },
  {
    time: 0,
    services: 0n,
    network: 'onion' as const,
    host: 'pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion',
    port: 8333,
  },
];

describe('packed addresses', () => {
  it('round-trip any entries, and are an addrv2 payload that the wire decoder reads the same', () => {
    fc.assert(
      fc.property(fc.array(anyEntry, { maxLength: 40 }), (entries) => {
        const p = packAddrs(entries);
        expect(unpackAddrs(p)).toEqual(entries);
        expect(packedCount(p)).toBe(entries.length);
        expect(decodeAddrV2(p).addresses).toEqual(entries);
      }),
    );
  });

  it('walk every entry with its key, which is the endpoint key of the entry', () => {
    const p = packAddrs(sample);
    const seen: { key: string; time: number; services: bigint; port: number }[] = [];
    walkPacked(p, (c) =>
      seen.push({
        key: Buffer.from(p.subarray(c.keyAt, c.keyEnd)).toString('hex'),
        time: c.time,
        services: cursorServices(c),
        port: c.port,
      }),
    );
    expect(seen.map((s) => s.key)).toEqual(sample.map((a) => endpointKey(a).toString('hex')));
    expect(seen.map((s) => [s.time, s.services, s.port])).toEqual(
      sample.map((a) => [a.time, a.services, a.port]),
    );
    for (const a of sample)
      expect(endpointFromKey(endpointKey(a))).toEqual({ network: a.network, host: a.host, port: a.port });
  });

  it('keys a mapped IPv6 literal as the IPv4 address it is', () => {
    expect(endpointKey({ network: 'ipv6', host: '::ffff:1.2.3.4', port: 1 })).toEqual(
      endpointKey({ network: 'ipv4', host: '1.2.3.4', port: 1 }),
    );
  });

  it('refuse a list cut at any offset, or with bytes after its last entry, with MALFORMED', () => {
    const p = packAddrs(sample);
    for (let cut = 0; cut < p.length; cut++) {
      const e = (() => {
        try {
          walkPacked(p.subarray(0, cut), () => {});
        } catch (err) {
          return err;
        }
      })();
      expect(e, `cut at ${cut}`).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe('MALFORMED');
    }
    expect(() => walkPacked(Uint8Array.from([...p, 0]), () => {})).toThrow(/1 trailing bytes/);
  });

  it('refuse a count over the cap before reading entries', () => {
    const big = Uint8Array.of(0xfd, (MAX_PACKED_ENTRIES + 1) & 0xff, (MAX_PACKED_ENTRIES + 1) >> 8);
    expect(() => packedCount(big)).toThrow(ProtocolError);
    expect(packedCount(EMPTY_PACKED)).toBe(0);
    expect(unpackAddrs(EMPTY_PACKED)).toEqual([]);
  });
});
