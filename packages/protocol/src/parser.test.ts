import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import invalid from '../fixtures/frames.invalid.json' with { type: 'json' };
import { messageArb } from './arbitraries.test-util.ts';
import { ProtocolError } from './errors.ts';
import { encodeFrame, HEADER_LENGTH, MAX_MESSAGE_LENGTH } from './framer.ts';
import { decodeMessage, encodeMessageFrame, type Message } from './message.ts';
import { CHAINS } from './networks.ts';
import { type Frame, FrameParser } from './parser.ts';

const magic = CHAINS.mainnet.magic;
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function feed(parser: FrameParser, chunks: Uint8Array[]): Frame[] {
  return chunks.flatMap((c) => parser.push(c));
}

describe('FrameParser', () => {
  it.each(invalid.cases)('rejects $why with $code at offset 24', (c) => {
    const parser = new FrameParser(magic);
    let err: unknown;
    try {
      feed(parser, [hex(invalid.prefix), hex(c.hex), new Uint8Array(8)]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(c.code);
    expect((err as ProtocolError).offset).toBe(24);
  });

  it('rejects an oversized header before any payload arrives', () => {
    const parser = new FrameParser(magic);
    const header = encodeFrame(magic, 'block', new Uint8Array(0));
    new DataView(header.buffer).setUint32(16, MAX_MESSAGE_LENGTH + 1, true);
    expect(() => parser.push(header)).toThrow(expect.objectContaining({ code: 'OVERSIZED' }));
  });

  it('accepts a frame of exactly 4,000,000 bytes', () => {
    const frame = encodeFrame(magic, 'block', new Uint8Array(MAX_MESSAGE_LENGTH));
    const frames = new FrameParser(magic).push(frame);
    expect(frames[0]?.payload.length).toBe(MAX_MESSAGE_LENGTH);
  });

  it('fails on wrong magic after only one byte', () => {
    expect(() => new FrameParser(magic).push(Uint8Array.of(0x0b))).toThrow(
      expect.objectContaining({ code: 'BAD_MAGIC' }),
    );
  });

  it('split-buffer: the same stream cut at every offset gives the same messages', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 6 }), (msgs) => {
        const stream = concat(msgs.map((m) => encodeMessageFrame(magic, m)));
        const whole = feed(new FrameParser(magic), [stream]).map(decodeMessage);
        expect(whole).toEqual(msgs);
        for (let cut = 0; cut <= stream.length; cut++) {
          const parts = feed(new FrameParser(magic), [stream.subarray(0, cut), stream.subarray(cut)]);
          expect(parts.map(decodeMessage)).toEqual(msgs);
        }
        const bytewise = new FrameParser(magic);
        const out: Message[] = [];
        for (let i = 0; i < stream.length; i++)
          out.push(...bytewise.push(stream.subarray(i, i + 1)).map(decodeMessage));
        expect(out).toEqual(msgs);
        expect(bytewise.buffered).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('reports frame offsets in the stream', () => {
    const a = encodeMessageFrame(magic, { command: 'verack' });
    const b = encodeMessageFrame(magic, { command: 'ping', nonce: 7n });
    const frames = new FrameParser(magic).push(concat([a, b, a]));
    expect(frames.map((f) => f.offset)).toEqual([0, 24, 56]);
  });
});

describe('fuzz: random and mutated frames', () => {
  it('only ProtocolError escapes, every call returns, buffers stay bounded (100,000 inputs)', () => {
    const seeds = fc
      .sample(fc.array(messageArb, { minLength: 1, maxLength: 3 }), { numRuns: 200, seed: 42 })
      .map((ms) => concat(ms.map((m) => encodeMessageFrame(magic, m))));
    let rng = 0x12345678;
    const rand = (n: number) => {
      rng = (Math.imul(rng, 1664525) + 1013904223) >>> 0;
      return rng % n;
    };
    const errors = new Map<string, number>();
    let decoded = 0;
    for (let i = 0; i < 100_000; i++) {
      const base = seeds[rand(seeds.length)] as Uint8Array;
      let input: Uint8Array;
      switch (rand(6)) {
        case 0: // random bytes, sometimes after a valid magic
          input = Uint8Array.from({ length: rand(200) }, () => rand(256));
          if (rand(2)) input.set(magic.subarray(0, Math.min(4, input.length)));
          break;
        case 1: // flip bits
          input = Uint8Array.from(base);
          for (let k = 0, n = 1 + rand(4); k < n; k++) input[rand(input.length)] ^= 1 << rand(8);
          break;
        case 2: // truncate
          input = base.subarray(0, rand(base.length + 1));
          break;
        case 3: // rewrite the length field
          input = Uint8Array.from(base);
          new DataView(input.buffer).setUint32(16, rand(2) ? rand(0xffffffff) : rand(base.length * 2), true);
          break;
        case 4: // mutate a payload byte and fix the checksum, so decoders see garbage
          {
            const frame = new FrameParser(magic).push(base)[0] as Frame;
            const payload = Uint8Array.from(frame.payload);
            if (payload.length > 0) payload[rand(payload.length)] = rand(256);
            input = encodeFrame(magic, frame.command, payload.subarray(0, rand(payload.length + 1)));
          }
          break;
        default: {
          // swap the command
          const frame = new FrameParser(magic).push(base)[0] as Frame;
          const cmds = ['version', 'addr', 'addrv2', 'ping', 'pong', 'sendcmpct', 'feefilter', 'verack'];
          input = encodeFrame(magic, cmds[rand(cmds.length)] as string, frame.payload);
        }
      }
      const parser = new FrameParser(magic);
      try {
        let at = 0;
        while (at < input.length) {
          const n = 1 + rand(64);
          for (const f of parser.push(input.subarray(at, at + n))) {
            decodeMessage(f);
            decoded++;
          }
          at += n;
          expect(parser.buffered).toBeLessThanOrEqual(HEADER_LENGTH + MAX_MESSAGE_LENGTH);
        }
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        errors.set(err.code, (errors.get(err.code) ?? 0) + 1);
      }
    }
    // The mutations must actually reach every error class and the decoders.
    expect([...errors.keys()].sort()).toEqual(
      expect.arrayContaining([
        'BAD_CHECKSUM',
        'BAD_COMMAND',
        'BAD_MAGIC',
        'MALFORMED',
        'OVERSIZED',
        'TRUNCATED',
      ]),
    );
    expect(decoded).toBeGreaterThan(10_000);
  }, 60_000);
});
