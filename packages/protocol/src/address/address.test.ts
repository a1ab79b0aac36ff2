import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';
import vectors from '../../fixtures/addresses.json' with { type: 'json' };
import { ProtocolError } from '../errors.ts';
import {
  addressFromBytes,
  addressToBytes,
  addressToLegacyBytes,
  classifyAddress,
  decodeBip155,
  describeAddress,
  endpointId,
  formatEndpoint,
  formatIPv6,
  isCanonicalHost,
  isIPv4Mapped,
  isRoutable,
  legacyBytesToAddress,
  onionFromPubkey,
  parseEndpoint,
  parseEndpointId,
  parseHost,
} from './index.ts';
import { formatIPv4, parseIPv4 } from './ip.ts';
import type { Network } from './types.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : `not a ProtocolError: ${err}`;
  }
  return 'no error';
};

describe('BIP155 address vectors', () => {
  it.each(vectors.bip155.valid)('id $id decodes to $host and back', (v) => {
    expect(decodeBip155(v.id, hex(v.bytes))).toEqual({ network: v.network, host: v.host });
    expect(Buffer.from(addressToBytes(v.network as Network, v.host)).toString('hex')).toBe(v.bytes);
  });
  it.each(vectors.bip155.skipped)('skips $why', (v) => {
    expect(decodeBip155(v.id, hex(v.bytes))).toBeUndefined();
  });
  it.each(vectors.bip155.invalid)('rejects $why', (v) => {
    expect(code(() => decodeBip155(v.id, hex(v.bytes)))).toBe('BAD_ADDRESS');
  });
});

describe('host and endpoint text', () => {
  it.each(vectors.hosts.valid)('parses "$text"', (v) => {
    expect(parseHost(v.text, { cjdns: 'cjdns' in v })).toEqual({ network: v.network, host: v.host });
  });
  it.each(vectors.hosts.invalid)('rejects "$text" ($why)', (v) => {
    expect(code(() => parseHost(v.text))).toBe('BAD_ADDRESS');
  });
  it.each(vectors.endpoints.valid)('parses endpoint "$text"', (v) => {
    const e = parseEndpoint(v.text, 18444);
    expect(e).toEqual({ network: v.network, host: v.host, port: v.port });
    expect(formatEndpoint(e)).toBe(v.formatted);
  });
  it.each(vectors.endpoints.invalid)('rejects endpoint "$text" ($why)', (v) => {
    expect(code(() => parseEndpoint(v.text, 8333))).toBe('BAD_ADDRESS');
  });
  it.each(vectors.endpoints.valid)('keys endpoint "$text" as network|host|port, and back', (v) => {
    const e = parseEndpoint(v.text, 18444);
    expect(endpointId(e)).toBe(`${v.network}|${v.host}|${v.port}`);
    expect(parseEndpointId(endpointId(e))).toEqual(e);
  });
  it('an endpoint id names the network (CJDNS text is IPv6 text)', () => {
    const cjdns = { network: 'cjdns' as const, host: 'fc00::1', port: 8333 };
    expect(parseEndpointId(endpointId(cjdns))).toEqual(cjdns);
    for (const bad of [
      'tor|x.onion|1',
      'ipv4||8333',
      'ipv4|1.2.3.4',
      'ipv4|1.2.3.4|65536',
      'ipv4|1.2.3.4|1|2',
    ])
      expect(code(() => parseEndpointId(bad))).toBe('BAD_ADDRESS');
  });
});

describe('reachability (as Core classifies)', () => {
  it.each(vectors.reachability)('%s %s is %s %s', (network, host, expected, label) => {
    expect(classifyAddress(network as Network, host)).toBe(expected);
    expect(isRoutable(network as Network, host)).toBe(expected === 'routable');
    expect(describeAddress(network as Network, host)).toEqual(
      label ? { reachability: expected, label } : { reachability: expected },
    );
  });
});

describe('IPv4-mapped IPv6 is IPv4', () => {
  it.each(vectors.ipv6Mapped.text)('"%s": bytes on ipv6, never canonical there, parses as ipv4', (text) => {
    const bytes = addressToBytes('ipv6', text);
    expect(isIPv4Mapped(bytes)).toBe(true);
    expect(isCanonicalHost('ipv6', text)).toBe(false);
    expect(isCanonicalHost('ipv6', formatIPv6(bytes))).toBe(false);
    expect(parseHost(text)).toEqual({ network: 'ipv4', host: addressFromBytes('ipv4', bytes.subarray(12)) });
  });
  it.each(vectors.ipv6Mapped.bytes)('%s has no ipv6 host string', (b) => {
    expect(code(() => addressFromBytes('ipv6', hex(b)))).toBe('BAD_ADDRESS');
    expect(legacyBytesToAddress(hex(b))?.network).toBe('ipv4');
  });
});

describe('canonical strings round-trip', () => {
  const cases: [Network, number][] = [
    ['ipv4', 4],
    ['ipv6', 16],
    ['onion', 32],
    ['i2p', 32],
    ['cjdns', 16],
  ];
  it.each(cases)('%s: bytes -> string -> bytes, and string parses back to itself', (network, size) => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: size, maxLength: size }), (raw) => {
        const bytes = network === 'cjdns' ? Uint8Array.from([0xfc, ...raw.subarray(1)]) : raw;
        if (network === 'ipv6' && isMapped(bytes)) {
          expect(code(() => addressFromBytes(network, bytes))).toBe('BAD_ADDRESS');
          return;
        }
        const host = addressFromBytes(network, bytes);
        expect(addressToBytes(network, host)).toEqual(bytes);
        expect(isCanonicalHost(network, host)).toBe(true);
        expect(parseHost(host, { cjdns: network === 'cjdns' })).toEqual({ network, host });
      }),
    );
  });

  it('the hand-written IPv6 formatter agrees with ipaddr.js RFC 5952 output', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
          minLength: 8,
          maxLength: 8,
        }),
        (groups) => {
          const bytes = new Uint8Array(16);
          groups.forEach((g, i) => {
            bytes[2 * i] = g >> 8;
            bytes[2 * i + 1] = g & 0xff;
          });
          if (isMapped(bytes)) return; // ipaddr.js prints mapped addresses in mixed notation
          expect(formatIPv6(bytes)).toBe((ipaddr.fromByteArray([...bytes]) as ipaddr.IPv6).toRFC5952String());
        },
      ),
    );
  });

  it('"::" (the fast path) and its long forms parse to 16 zero bytes; a returned array is never shared', () => {
    for (const text of ['::', '0::0', '0:0:0:0:0:0:0:0'])
      expect(addressToBytes('ipv6', text)).toEqual(new Uint8Array(16));
    const a = addressToBytes('ipv6', '::');
    a[0] = 1;
    expect(addressToBytes('ipv6', '::')).toEqual(new Uint8Array(16));
    expect(code(() => addressToBytes('ipv6', ':::'))).toBe('BAD_ADDRESS');
  });

  it('legacy 16-byte form maps IPv4 and refuses networks v1 cannot carry', () => {
    const v4 = addressToLegacyBytes('ipv4', '1.2.3.4');
    expect(v4 && legacyBytesToAddress(v4)).toEqual({ network: 'ipv4', host: '1.2.3.4' });
    expect(addressToLegacyBytes('onion', onionFromPubkey(new Uint8Array(32)))).toBeUndefined();
    expect(legacyBytesToAddress(hex('fd87d87eeb43edb108e43588e54635ca'))).toBeUndefined();
  });
});

function isMapped(b: Uint8Array): boolean {
  return b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

describe('parseIPv4', () => {
  const reference = (t: string) =>
    ipaddr.IPv4.isValidFourPartDecimal(t) ? Array.from(ipaddr.IPv4.parse(t).toByteArray()) : undefined;
  const part = fc.oneof(
    fc.integer({ min: 0, max: 300 }).map(String),
    fc.stringMatching(/^[0-9]{1,4}$/), // leading zeros, too many digits
    fc.constantFrom('', ' 1', '0x1', '-1', '1a'),
  );
  it('agrees with ipaddr.js on any dotted text', () => {
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 6 }), (parts) => {
        const t = parts.join('.');
        const got = parseIPv4(t);
        expect(got ? Array.from(got) : undefined).toEqual(reference(t));
      }),
      { numRuns: 20_000 },
    );
  });
  it('reads back every formatted address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
        expect(parseIPv4(formatIPv4(b))).toEqual(b);
      }),
    );
    // Every octet value in every position, and every text length from 7 to 15, at an offset.
    for (let v = 0; v < 256; v++) {
      for (const quad of [
        [v, 0, 0, 0],
        [1, v, 22, 3],
        [255, 0, v, 9],
        [100, 10, 1, v],
        [v, v, v, v],
      ]) {
        const b = Uint8Array.of(7, 7, ...quad);
        expect(formatIPv4(b, 2)).toBe(quad.join('.'));
      }
    }
    expect(
      ['1.2.3', '1.2.3.4.', '.1.2.3', '01.2.3.4', '256.1.1.1', '1..2.3', '1.2.3.4 '].map(parseIPv4),
    ).toEqual(Array(7).fill(undefined));
  });
});
