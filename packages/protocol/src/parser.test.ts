import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import invalid from '../fixtures/frames.invalid.json' with { type: 'json' };
import { messageArb } from './arbitraries.test-util.ts';
import { ProtocolError } from './errors.ts';
import { encodeFrame, HEADER_LENGTH, MAX_MESSAGE_LENGTH } from './framer.ts';
import { decodeMessage, encodeMessageFrame, type Message } from './message.ts';
import { CHAINS } from './networks.ts';
import { type Frame, FrameParser } from './parser.ts';
import { MessageStreamDecoder } from './stream-decoder.ts';

const magic = CHAINS.mainnet.magic;
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

function concat(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function feed(parser: FrameParser, chunks: Uint8Array[]): Frame[] {
  return chunks.flatMap((c) => parser.push(c));
}

describe('FrameParser', () => {
  const frameLevel = invalid.cases.filter((c) => c.level === 'frame');
  it.each(frameLevel)('rejects $why with $code at offset 24', (c) => {
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

  it('a 1,000,000-byte payload fed 1 and 7 bytes at a time completes in linear time', () => {
    // Judged by how time grows with size (4x the bytes: ~4x the time when linear, ~16x when
    // quadratic), not by a fixed limit that a loaded machine could miss. The two sizes take
    // turns, best of 5 each, so a burst of load elsewhere slows both alike, not one of them.
    const once = (length: number, size: number) => {
      const payload = Uint8Array.from({ length }, (_, i) => (i * 31) & 0xff);
      const frame = encodeFrame(magic, 'block', payload);
      const parser = new FrameParser(magic);
      const started = performance.now();
      const out: Frame[] = [];
      for (let i = 0; i < frame.length; i += size) out.push(...parser.push(frame.subarray(i, i + size)));
      const ms = performance.now() - started;
      expect(out).toHaveLength(1);
      // Buffer.equals: a deep toEqual over a million elements takes seconds by itself.
      expect(Buffer.from(out[0]?.payload ?? []).equals(payload)).toBe(true);
      expect(parser.buffered).toBe(0);
      expect(parser.inFrame).toBe(false);
      return ms;
    };
    for (const size of [1, 7]) {
      let [small, large] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
      for (let attempt = 0; attempt < 5; attempt++) {
        small = Math.min(small, once(250_000, size));
        large = Math.min(large, once(1_000_000, size));
      }
      expect(
        large / small,
        `fed ${size} at a time: ${small.toFixed(0)} ms, then ${large.toFixed(0)} ms`,
      ).toBeLessThan(9);
    }
  });

  it('buffered counts the payload bytes received so far', () => {
    const parser = new FrameParser(magic);
    const frame = encodeFrame(magic, 'block', new Uint8Array(3_000_000));
    parser.push(frame.subarray(0, HEADER_LENGTH + 100));
    expect(parser.buffered).toBe(100);
    expect(parser.pendingBytes).toBe(HEADER_LENGTH + 100);
    parser.push(frame.subarray(HEADER_LENGTH + 100, 2_000_000));
    expect(parser.buffered).toBe(2_000_000 - HEADER_LENGTH);
    expect(parser.push(frame.subarray(2_000_000))).toHaveLength(1);
  });

  it('is inside a frame from its first byte until the frame completes, header alone included', () => {
    const parser = new FrameParser(magic);
    const ping = encodeMessageFrame(magic, { command: 'ping', nonce: 1n });
    expect(parser.inFrame).toBe(false);
    parser.push(ping.subarray(0, 3));
    expect([parser.inFrame, parser.pendingBytes]).toEqual([true, 3]);
    parser.push(ping.subarray(3, HEADER_LENGTH));
    expect([parser.inFrame, parser.buffered, parser.pendingBytes]).toEqual([true, 0, HEADER_LENGTH]);
    expect(parser.push(ping.subarray(HEADER_LENGTH))).toHaveLength(1);
    expect([parser.inFrame, parser.pendingBytes, parser.frameStart]).toEqual([false, 0, ping.length]);
  });

  it('maxLength must be an integer from 0 to the protocol limit', () => {
    for (const bad of [Number.NaN, -1, 1.5, MAX_MESSAGE_LENGTH + 1, Number.POSITIVE_INFINITY]) {
      expect(() => new FrameParser(magic, { maxLength: bad })).toThrow(RangeError);
    }
    const zero = new FrameParser(magic, { maxLength: 0 });
    expect(zero.push(encodeMessageFrame(magic, { command: 'verack' }))).toHaveLength(1);
    expect(() => zero.push(encodeMessageFrame(magic, { command: 'ping', nonce: 1n }))).toThrow(
      expect.objectContaining({ code: 'OVERSIZED' }),
    );
  });

  it('setMaxLength applies to the frames whose header is still to come', () => {
    const parser = new FrameParser(magic, { maxLength: 8 });
    const ping = encodeMessageFrame(magic, { command: 'ping', nonce: 1n }); // 8-byte payload
    const feefilter = encodeMessageFrame(magic, { command: 'feefilter', feeRate: 1n });
    const big = encodeFrame(magic, 'big', new Uint8Array(200));
    // A header already read keeps the limit it was read with; the next one meets the new limit.
    expect(parser.push(Buffer.concat([ping, feefilter.subarray(0, HEADER_LENGTH)]))).toHaveLength(1);
    parser.setMaxLength(1000);
    expect(parser.push(Buffer.concat([feefilter.subarray(HEADER_LENGTH), big]))).toHaveLength(2);
    parser.setMaxLength(0);
    expect(() => parser.push(ping)).toThrow(expect.objectContaining({ code: 'OVERSIZED' }));
    expect(() => new FrameParser(magic).setMaxLength(MAX_MESSAGE_LENGTH + 1)).toThrow(RangeError);
  });

  it('parser and encoder agree on commands: printable ASCII 0x20-0x7e, 0-12 characters (Core accepts an empty one)', () => {
    const frames = new FrameParser(magic).push(
      Uint8Array.from([
        ...encodeFrame(magic, 'a b~', new Uint8Array(0)),
        ...encodeFrame(magic, '', new Uint8Array(0)),
      ]),
    );
    expect(frames.map((f) => f.command)).toEqual(['a b~', '']);
    for (const bad of ['a\x1fb', 'a\x7f', 'thirteenchars', 'caf\u00e9']) {
      expect(() => encodeFrame(magic, bad, new Uint8Array(0))).toThrow(
        expect.objectContaining({ code: 'BAD_COMMAND' }),
      );
    }
    const header = encodeFrame(magic, 'abc', new Uint8Array(0));
    header[5] = 0x7f;
    expect(() => new FrameParser(magic).push(header)).toThrow(
      expect.objectContaining({ code: 'BAD_COMMAND' }),
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
  it('only ProtocolError escapes, buffers stay bounded, MessageStreamDecoder+end() agrees (100,000 inputs)', () => {
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
      const chunks: Uint8Array[] = [];
      for (let at = 0; at < input.length; ) {
        const n = 1 + rand(64);
        chunks.push(input.subarray(at, at + n));
        at += n;
      }
      // Path 1: FrameParser.feed, decoding each frame in order; ending inside a frame is TRUNCATED.
      const parser = new FrameParser(magic);
      let code: string | undefined;
      let count = 0;
      try {
        for (const chunk of chunks) {
          const { frames, error } = parser.feed(chunk);
          for (const f of frames) {
            decodeMessage(f);
            count++;
          }
          if (error) throw error;
          expect(parser.buffered).toBeLessThanOrEqual(HEADER_LENGTH + MAX_MESSAGE_LENGTH);
        }
        if (parser.inFrame) code = 'TRUNCATED';
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        code = err.code;
      }
      // Path 2: MessageStreamDecoder over the same chunks, then end(): same messages, same verdict.
      const stream = new MessageStreamDecoder(magic);
      let streamCount = 0;
      for (const chunk of chunks) {
        const { messages, error } = stream.push(chunk);
        streamCount += messages.length;
        if (error) break;
      }
      expect(stream.end()?.code).toBe(code);
      expect(streamCount).toBe(count);
      decoded += count;
      if (code) errors.set(code, (errors.get(code) ?? 0) + 1);
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
  });
});
