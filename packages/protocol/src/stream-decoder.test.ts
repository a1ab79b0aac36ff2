import { describe, expect, it } from 'vitest';
import invalid from '../fixtures/frames.invalid.json' with { type: 'json' };
import { HEADER_LENGTH } from './framer.ts';
import { encodeMessageFrame } from './message.ts';
import { CHAINS } from './networks.ts';
import { MessageStreamDecoder } from './stream-decoder.ts';

const magic = CHAINS.mainnet.magic;
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/** Feeds the chunks, then ends the input; returns what decoded and the first error. */
function run(chunks: Uint8Array[]) {
  const decoder = new MessageStreamDecoder(magic);
  const commands: string[] = [];
  for (const chunk of chunks) {
    const { messages, error } = decoder.push(chunk);
    commands.push(...messages.map((m) => m.message.command));
    if (error) break;
  }
  return { commands, error: decoder.end() };
}

describe('MessageStreamDecoder', () => {
  it.each(invalid.cases)('$level: $why is $code at offset 24, after the good verack', (c) => {
    // Garbage after frame- and payload-level cases shows the first error wins.
    const tail = c.level === 'end' ? [] : [new Uint8Array(8)];
    for (const chunks of [
      [hex(invalid.prefix + c.hex), ...tail],
      [...hex(invalid.prefix + c.hex)].map((b) => Uint8Array.of(b)).concat(tail),
    ]) {
      const { commands, error } = run(chunks);
      expect(commands).toEqual(['verack']);
      expect(error?.code).toBe(c.code);
      expect(error?.offset).toBe(24);
    }
  });

  it('a stream that stops right after a complete header is TRUNCATED, counting the header', () => {
    const ping = encodeMessageFrame(magic, { command: 'ping', nonce: 9n });
    const { error } = run([ping, ping.subarray(0, HEADER_LENGTH)]);
    expect(error?.code).toBe('TRUNCATED');
    expect(error?.offset).toBe(ping.length);
    expect(error?.message).toMatch(/\(24 bytes left over\)/);
  });

  it('left-over count includes the header when the payload has started', () => {
    const ping = encodeMessageFrame(magic, { command: 'ping', nonce: 9n });
    const { error } = run([ping.subarray(0, 10), ping.subarray(10, HEADER_LENGTH + 3)]);
    expect(error?.message).toMatch(/\(27 bytes left over\)/);
    expect(error?.offset).toBe(0);
  });

  it('ends cleanly after whole frames, including a zero-length last payload', () => {
    const frames = [
      encodeMessageFrame(magic, { command: 'ping', nonce: 1n }),
      encodeMessageFrame(magic, { command: 'verack' }),
    ];
    expect(run(frames)).toEqual({ commands: ['ping', 'verack'], error: undefined });
    expect(run([])).toEqual({ commands: [], error: undefined });
  });
});
