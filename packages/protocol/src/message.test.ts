import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageArb } from './arbitraries.test-util.ts';
import { ProtocolError } from './errors.ts';
import { decodeMessage, encodeMessage, encodeMessageFrame } from './message.ts';
import { CHAINS } from './networks.ts';
import { FrameParser } from './parser.ts';
import { Writer } from './writer.ts';

const magic = CHAINS.mainnet.magic;
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : `not a ProtocolError: ${err}`;
  }
  return 'no error';
};

describe('every message round-trips', () => {
  it('decode(encode(m)) == m, through the framer and parser', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        const frames = new FrameParser(magic).push(encodeMessageFrame(magic, msg));
        expect(frames).toHaveLength(1);
        expect(decodeMessage(frames[0]!)).toEqual(msg);
      }),
      { numRuns: 2000 },
    );
  });

  it('version without the relay byte is accepted (relay undefined)', () => {
    fc.assert(
      fc.property(messageArb, (msg) => {
        if (msg.command !== 'version') return;
        const { payload } = encodeMessage(msg);
        const decoded = decodeMessage({
          command: 'version',
          payload: payload.subarray(0, payload.length - 1),
        });
        expect(decoded).toEqual({ ...msg, relay: undefined });
      }),
    );
  });
});

describe('payload validation', () => {
  const addrWithCount = (n: number) => new Writer().varint(n).finish();
  it('addr and addrv2 over 1000 entries are TOO_MANY_ENTRIES, checked from the count alone', () => {
    expect(code(() => decodeMessage({ command: 'addr', payload: addrWithCount(1001) }))).toBe(
      'TOO_MANY_ENTRIES',
    );
    expect(code(() => decodeMessage({ command: 'addrv2', payload: addrWithCount(50_000) }))).toBe(
      'TOO_MANY_ENTRIES',
    );
  });
  it('addr count not matching its bytes is TRUNCATED', () => {
    expect(code(() => decodeMessage({ command: 'addr', payload: addrWithCount(2) }))).toBe('TRUNCATED');
  });
  it('addrv2 with an unknown network id skips the entry; a known id with a wrong length is MALFORMED', () => {
    const w = new Writer().varint(2);
    w.u32le(1)
      .varint(1)
      .u8(0x2a)
      .varint(3)
      .bytes(Uint8Array.of(1, 2, 3))
      .u16be(8333);
    w.u32le(2)
      .varint(9)
      .u8(1)
      .varint(4)
      .bytes(Uint8Array.of(1, 2, 3, 4))
      .u16be(8333);
    const msg = decodeMessage({ command: 'addrv2', payload: w.finish() });
    expect(msg).toEqual({
      command: 'addrv2',
      skipped: 1,
      addresses: [{ time: 2, services: 9n, network: 'ipv4', host: '1.2.3.4', port: 8333 }],
    });
    const bad = new Writer().varint(1).u32le(1).varint(1).u8(1).varint(5).bytes(new Uint8Array(5)).u16be(1);
    expect(code(() => decodeMessage({ command: 'addrv2', payload: bad.finish() }))).toBe('MALFORMED');
  });
  it('non-canonical CompactSize is MALFORMED', () => {
    const p = new Writer().u8(0xfd).u16le(3).finish();
    expect(code(() => decodeMessage({ command: 'addrv2', payload: p }))).toBe('MALFORMED');
  });
  it('a user agent over 256 bytes is MALFORMED; truncated version is TRUNCATED', () => {
    const v = encodeMessage({
      command: 'version',
      version: 70016,
      services: 0n,
      timestamp: 0n,
      addrRecv: { services: 0n, network: 'ipv4', host: '1.2.3.4', port: 1 },
      addrFrom: { services: 0n, network: 'ipv4', host: '1.2.3.4', port: 1 },
      nonce: 0n,
      userAgent: 'x',
      startHeight: 0,
    }).payload;
    expect(code(() => decodeMessage({ command: 'version', payload: v.subarray(0, 50) }))).toBe('TRUNCATED');
    const long = Uint8Array.from([...v.subarray(0, 80), 0xfd, 0x01, 0x01]);
    expect(code(() => decodeMessage({ command: 'version', payload: long }))).toBe('MALFORMED');
  });
  it('empty-payload messages with bytes are MALFORMED; unknown commands pass through raw', () => {
    expect(code(() => decodeMessage({ command: 'verack', payload: Uint8Array.of(1) }))).toBe('MALFORMED');
    expect(decodeMessage({ command: 'inv', payload: Uint8Array.of(1, 2) })).toEqual({
      command: 'unknown',
      name: 'inv',
      payload: Uint8Array.of(1, 2),
    });
  });
});
