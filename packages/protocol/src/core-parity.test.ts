import { describe, expect, it } from 'vitest';
import parity from '../fixtures/core-parity.json' with { type: 'json' };
import { messageToJson } from './json.ts';
import { decodeMessage } from './message.ts';
import { CHAINS } from './networks.ts';
import { FrameParser } from './parser.ts';
import { MessageStreamDecoder } from './stream-decoder.ts';

const magic = CHAINS.mainnet.magic;
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

describe('Core tolerance (fixtures/core-parity.json)', () => {
  it.each(parity.tolerated)('accepts $why', (c) => {
    const frames = new FrameParser(magic).push(Uint8Array.from([...hex(parity.prefix), ...hex(c.hex)]));
    expect(frames).toHaveLength(2);
    const frame = frames[1];
    if (!frame) throw new Error('no frame');
    expect(frame.offset).toBe(24);
    expect(messageToJson(decodeMessage(frame))).toEqual(c.expect);
  });

  it.each(parity.tolerated)('the stream decoder passes $why on without an error', (c) => {
    const stream = new MessageStreamDecoder(magic);
    const { messages, error } = stream.push(Uint8Array.from([...hex(parity.prefix), ...hex(c.hex)]));
    expect(error).toBeUndefined();
    expect(messages).toHaveLength(2);
    expect(stream.end()).toBeUndefined();
  });
});
