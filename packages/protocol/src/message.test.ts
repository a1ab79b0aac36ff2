import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../fixtures/messages.json' with { type: 'json' };
import { messageArb } from './arbitraries.test-util.ts';
import { ProtocolError } from './errors.ts';
import { messageToJson } from './json.ts';
import { decodeMessage, encodeMessage, encodeMessageFrame } from './message.ts';
import { CHAINS } from './networks.ts';
import { FrameParser } from './parser.ts';
import { Writer } from './writer.ts';

const magic = CHAINS.mainnet.magic;
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
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
  it('addr with fewer bytes than its count is TRUNCATED; bytes after its entries are ignored, as Core ignores them', () => {
    expect(code(() => decodeMessage({ command: 'addr', payload: addrWithCount(2) }))).toBe('TRUNCATED');
    const one = encodeMessage({
      command: 'addr',
      skipped: 0,
      addresses: [{ time: 1, services: 1n, network: 'ipv4', host: '1.2.3.4', port: 8333 }],
    }).payload;
    expect(decodeMessage({ command: 'addr', payload: one })).toMatchObject({
      addresses: [{ host: '1.2.3.4' }],
    });
    const trailing = Uint8Array.from([...one, 0]);
    expect(decodeMessage({ command: 'addr', payload: trailing })).toMatchObject({
      addresses: [{ host: '1.2.3.4' }],
    });
    expect(code(() => decodeMessage({ command: 'addr', payload: one.subarray(0, 30) }))).toBe('TRUNCATED');
  });
  it('addrv2: a CJDNS address outside fc00::/8 skips that entry only; an address over 512 bytes is MALFORMED', () => {
    const w = new Writer().varint(2);
    w.u32le(1).varint(1).u8(6).varint(16).bytes(new Uint8Array(16).fill(0xaa)).u16be(8333);
    w.u32le(2)
      .varint(9)
      .u8(6)
      .varint(16)
      .bytes(Uint8Array.of(0xfc, ...new Uint8Array(14), 1))
      .u16be(8333);
    expect(decodeMessage({ command: 'addrv2', payload: w.finish() })).toEqual({
      command: 'addrv2',
      skipped: 1,
      addresses: [{ time: 2, services: 9n, network: 'cjdns', host: 'fc00::1', port: 8333 }],
    });
    const long = new Writer().varint(1).u32le(1).varint(1).u8(0x2a).varint(513).bytes(new Uint8Array(513));
    expect(code(() => decodeMessage({ command: 'addrv2', payload: long.u16be(1).finish() }))).toBe(
      'MALFORMED',
    );
    const max = new Writer().varint(1).u32le(1).varint(1).u8(0x2a).varint(512).bytes(new Uint8Array(512));
    expect(decodeMessage({ command: 'addrv2', payload: max.u16be(1).finish() })).toMatchObject({
      skipped: 1,
    });
  });
  it('addrv2 sends an IPv4-mapped ipv6 entry as the ipv4 address it is', () => {
    const payload = encodeMessage({
      command: 'addrv2',
      skipped: 0,
      addresses: [{ time: 1, services: 1n, network: 'ipv6', host: '::ffff:8.8.4.4', port: 8333 }],
    }).payload;
    expect(decodeMessage({ command: 'addrv2', payload })).toMatchObject({
      skipped: 0,
      addresses: [{ network: 'ipv4', host: '8.8.4.4' }],
    });
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
  it('empty-payload messages with bytes decode (Core ignores the bytes); unknown commands pass through raw', () => {
    expect(decodeMessage({ command: 'verack', payload: Uint8Array.of(1) })).toEqual({ command: 'verack' });
    expect(decodeMessage({ command: 'inv', payload: Uint8Array.of(1, 2) })).toEqual({
      command: 'unknown',
      name: 'inv',
      payload: Uint8Array.of(1, 2),
    });
  });
  it('an unknown payload is copied out of the chunk, so the chunk is not retained', () => {
    const chunk = Buffer.alloc(64 * 1024, 7);
    const msg = decodeMessage({ command: 'inv', payload: chunk.subarray(100, 137) });
    if (msg.command !== 'unknown') throw new Error('expected unknown');
    expect(msg.payload.byteLength).toBe(37);
    expect(msg.payload.buffer.byteLength).toBe(37);
    expect(msg.payload.buffer).not.toBe(chunk.buffer);
  });
  it('JSON of an unknown message names the wire command, decoded: false, payload hex', () => {
    const msg = decodeMessage({ command: 'inv', payload: Uint8Array.of(1, 0xab) });
    expect(messageToJson(msg)).toEqual({ command: 'inv', decoded: false, payload: '01ab' });
    expect(messageToJson(decodeMessage({ command: 'verack', payload: new Uint8Array(0) }))).toEqual({
      command: 'verack',
    });
  });
});

describe('payload vectors (fixtures/messages.json)', () => {
  it.each(vectors.valid)('accepts $why', (v) => {
    const json = messageToJson(decodeMessage({ command: v.command, payload: hex(v.hex) }));
    expect(json.command).toBe(v.command);
    for (const [key, want] of Object.entries(v.expect)) {
      if (want === null) expect(json).not.toHaveProperty(key);
      else if (typeof want === 'object') expect(json[key]).toMatchObject(want);
      else expect(json[key]).toBe(want);
    }
  });
  it.each(vectors.invalid)('rejects $why with $code', (v) => {
    expect(code(() => decodeMessage({ command: v.command, payload: hex(v.hex) }))).toBe(v.code);
  });
});

describe('Writer refuses values its field cannot hold', () => {
  const cases: [string, (w: Writer) => unknown][] = [
    ['u8 256', (w) => w.u8(256)],
    ['u8 -1', (w) => w.u8(-1)],
    ['u16 70000 (a port)', (w) => w.u16be(70000)],
    ['u16 1.5', (w) => w.u16le(1.5)],
    ['u32 2^32+5 (an addr time)', (w) => w.u32le(2 ** 32 + 5)],
    ['u32 NaN', (w) => w.u32le(Number.NaN)],
    ['i32 2^31', (w) => w.i32le(2 ** 31)],
    ['u64 2^64+1 (services)', (w) => w.u64le(2n ** 64n + 1n)],
    ['u64 -1', (w) => w.u64le(-1n)],
    ['i64 2^63', (w) => w.i64le(2n ** 63n)],
    ['varint -1', (w) => w.varint(-1)],
    ['varint 2^64', (w) => w.varint(2n ** 64n)],
    ['varint 2^53 as a number', (w) => w.varint(2 ** 53)],
  ];
  it.each(cases)('%s is MALFORMED', (_, write) => {
    expect(code(() => write(new Writer()))).toBe('MALFORMED');
  });
  it('accepts the edges of every range', () => {
    const w = new Writer()
      .u8(255)
      .u16le(65535)
      .u32le(2 ** 32 - 1)
      .i32le(-(2 ** 31))
      .u64le(2n ** 64n - 1n);
    w.i64le(-(2n ** 63n))
      .varint(2n ** 64n - 1n)
      .varint(0);
    expect(w.finish().length).toBe(1 + 2 + 4 + 4 + 8 + 8 + 9 + 1);
  });
  it('encoders pass the check through: an addr entry with a 70000 port is refused', () => {
    const addr = { time: 1, services: 1n, network: 'ipv4' as const, host: '1.2.3.4', port: 70000 };
    expect(code(() => encodeMessage({ command: 'addr', skipped: 0, addresses: [addr] }))).toBe('MALFORMED');
    expect(code(() => encodeMessage({ command: 'addrv2', skipped: 0, addresses: [addr] }))).toBe('MALFORMED');
  });
});
