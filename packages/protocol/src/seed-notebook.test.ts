import { describe, expect, it } from 'vitest';
import vectors from '../fixtures/seed-notebook.json' with { type: 'json' };
import { checksum, checksumU32, doubleSha256 } from './hash.ts';
import { messageToJson } from './json.ts';
import { decodeMessage } from './message.ts';
import { CHAINS } from './networks.ts';
import { FrameParser } from './parser.ts';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('seed notebook vectors', () => {
  it('double SHA-256 of "don\'t trust, verify"', () => {
    const input = new TextEncoder().encode(vectors.doubleSha256.input);
    expect(toHex(doubleSha256(input))).toBe(vectors.doubleSha256.hex);
    expect(toHex(checksum(input))).toBe(vectors.doubleSha256.checksum);
    // The parser's form: the same 4 bytes read as the header's little-endian u32.
    expect(checksumU32(input)).toBe(Buffer.from(vectors.doubleSha256.checksum, 'hex').readUInt32LE(0));
    expect(checksumU32(new Uint8Array(0))).toBe(Buffer.from(checksum(new Uint8Array(0))).readUInt32LE(0));
  });

  it('VERSION frames and decodes to its true values', () => {
    const [frame, ...rest] = new FrameParser(CHAINS.mainnet.magic).push(hex(vectors.version.hex));
    expect(rest).toHaveLength(0);
    expect(frame?.command).toBe('version');
    expect(frame?.payload.length).toBe(vectors.version.payloadLength);
    expect(toHex(hex(vectors.version.hex).subarray(20, 24))).toBe(vectors.version.checksum);
    const msg = decodeMessage(frame!);
    expect(msg.command).toBe('version');
    if (msg.command !== 'version') return;
    expect(msg.version).toBe(70015);
    expect(msg.services).toBe(1039n);
    expect(msg.userAgent).toBe('/some-cool-software/');
    expect(msg.startHeight).toBe(1);
    const json = messageToJson(msg);
    delete json.serviceNames;
    const { addrRecv, addrFrom, ...top } = json as Record<string, Record<string, unknown>>;
    delete addrRecv?.serviceNames;
    delete addrFrom?.serviceNames;
    expect({ ...top, addrRecv, addrFrom }).toEqual(vectors.version.expect);
  });

  it('VERACK frames with an empty payload and its checksum', () => {
    const frames = new FrameParser(CHAINS.mainnet.magic).push(hex(vectors.verack.hex));
    expect(frames.map((f) => [f.command, f.payload.length])).toEqual([['verack', 0]]);
    expect(toHex(checksum(new Uint8Array(0)))).toBe(vectors.verack.checksum);
    expect(toHex(doubleSha256(new Uint8Array(0)).subarray(0, 4))).toBe(vectors.verack.checksum);
    expect(decodeMessage(frames[0]!)).toEqual({ command: 'verack' });
  });

  it('names the service bits of 1039', () => {
    const msg = decodeMessage(new FrameParser(CHAINS.mainnet.magic).push(hex(vectors.version.hex))[0]!);
    expect(messageToJson(msg).serviceNames).toEqual([
      'NODE_NETWORK',
      'NODE_GETUTXO',
      'NODE_BLOOM',
      'NODE_WITNESS',
      'NODE_NETWORK_LIMITED',
    ]);
  });
});
