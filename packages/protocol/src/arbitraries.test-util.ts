import fc from 'fast-check';
import { addressFromBytes } from './address/codec.ts';
import type { Network } from './address/types.ts';
import type { Message } from './message.ts';
import type { AddrEntry } from './messages/addr.ts';

/** fast-check generators for every message type, shared by the property and split-buffer tests. */

const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const i64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const port = fc.integer({ min: 0, max: 65535 });

const hostOf = (network: Network, size: number) =>
  fc.uint8Array({ minLength: size, maxLength: size }).map((b) => {
    if (network === 'cjdns') b[0] = 0xfc;
    if (network === 'ipv6') {
      // keep out of the prefixes that decode to something else (mapped IPv4, onioncat, internal)
      b[0] = 0x20;
    }
    return addressFromBytes(network, b);
  });

export const legacyHost = fc.oneof(
  hostOf('ipv4', 4).map((host) => ({ network: 'ipv4' as const, host })),
  hostOf('ipv6', 16).map((host) => ({ network: 'ipv6' as const, host })),
);

export const anyHost = fc.oneof(
  legacyHost,
  hostOf('onion', 32).map((host) => ({ network: 'onion' as const, host })),
  hostOf('i2p', 32).map((host) => ({ network: 'i2p' as const, host })),
  hostOf('cjdns', 16).map((host) => ({ network: 'cjdns' as const, host })),
);

const entry = (hosts: fc.Arbitrary<{ network: Network; host: string }>, services: fc.Arbitrary<bigint>) =>
  fc
    .record({ time: fc.integer({ min: 0, max: 0xffff_ffff }), services, addr: hosts, port })
    .map(({ addr, ...rest }): AddrEntry => ({ ...rest, network: addr.network, host: addr.host }));

/** An addrv2 entry of any network, with any 64-bit services. */
export const anyEntry = entry(anyHost, u64);

const netAddr = fc
  .record({ services: u64, addr: legacyHost, port })
  .map(({ addr, ...r }) => ({ ...r, ...addr }));

export const messageArb: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    command: fc.constant('version' as const),
    version: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    services: u64,
    timestamp: i64,
    addrRecv: netAddr,
    addrFrom: netAddr,
    nonce: u64,
    userAgent: fc.string({ maxLength: 80 }),
    startHeight: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    relay: fc.boolean(),
  }),
  fc
    .constantFrom('verack', 'getaddr', 'sendaddrv2', 'wtxidrelay', 'sendheaders')
    .map((command) => ({ command })),
  fc.record({ command: fc.constantFrom('ping' as const, 'pong' as const), nonce: u64 }),
  fc.record({
    command: fc.constant('addr' as const),
    addresses: fc.array(entry(legacyHost, u64), { maxLength: 40 }),
    skipped: fc.constant(0),
  }),
  fc.record({
    command: fc.constant('addrv2' as const),
    addresses: fc.array(entry(anyHost, u64), { maxLength: 40 }),
    skipped: fc.constant(0),
  }),
  fc.record({ command: fc.constant('sendcmpct' as const), announce: fc.boolean(), version: u64 }),
  fc.record({ command: fc.constant('feefilter' as const), feeRate: i64 }),
  fc.record({
    command: fc.constant('unknown' as const),
    name: fc.constantFrom('inv', 'getheaders', 'headers', 'tx', 'block', 'notfound', 'x'),
    payload: fc.uint8Array({ maxLength: 64 }),
  }),
) as fc.Arbitrary<Message>;
