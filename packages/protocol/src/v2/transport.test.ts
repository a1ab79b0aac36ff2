import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageArb } from '../arbitraries.test-util.ts';
import { decodeMessage, encodeMessage, type Message } from '../message.ts';
import { CHAINS } from '../networks.ts';
import type { Frame } from '../parser.ts';
import { REKEY_INTERVAL } from './cipher.ts';
import { ellswiftCreate, ellswiftKeyFrom } from './ellswift-key.ts';
import { decodeContents, encodeContents } from './message-type.ts';
import { MAX_GARBAGE_LEN, V2Transport } from './transport.ts';

const magic = CHAINS.mainnet.magic;
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const concat = (parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

// Key generation is the slow part: a few keys shared by every run of the properties.
const keys = Array.from({ length: 4 }, () => ellswiftCreate());

/** A connected initiator and responder; returns both and what the responder has yet to read. */
function handshake(garbageI = new Uint8Array(7), garbageR = new Uint8Array(300).fill(9)) {
  const ini = new V2Transport({ magic, role: 'initiator', key: keys[0], garbage: garbageI });
  const res = new V2Transport({ magic, role: 'responder', key: keys[1], garbage: garbageR });
  const toRes = ini.start();
  const r1 = res.feed(toRes);
  const toIni = concat([res.start(), r1.send as Uint8Array]);
  const i1 = ini.feed(toIni);
  expect(i1.error).toBeUndefined();
  expect(ini.versionReceived).toBe(true);
  return { ini, res, pending: i1.send as Uint8Array };
}

function feedAll(t: V2Transport, chunks: Uint8Array[]): Frame[] {
  const frames: Frame[] = [];
  for (const c of chunks) {
    const r = t.feed(c);
    if (r.error) throw r.error;
    frames.push(...r.frames);
  }
  return frames;
}

function encodeAll(t: V2Transport, msgs: Message[]): Uint8Array {
  return concat(
    msgs.map((m) => {
      const { command, payload } = encodeMessage(m);
      return t.encode(command, payload);
    }),
  );
}

describe('V2Transport', () => {
  it('both ends derive the same session id, and the initiator decodes what the responder sends', () => {
    const { ini, res, pending } = handshake();
    expect(feedAll(res, [pending])).toEqual([]);
    expect(res.versionReceived).toBe(true);
    expect(toHex(ini.sessionId as Uint8Array)).toBe(toHex(res.sessionId as Uint8Array));
    const frames = feedAll(ini, [res.encode('verack', new Uint8Array(0))]);
    expect(frames.map((f) => f.command)).toEqual(['verack']);
  });

  it('what we encrypt we decrypt, at every split of the byte stream', () => {
    fc.assert(
      fc.property(
        fc.array(messageArb, { minLength: 1, maxLength: 5 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (msgs, garbage, cuts) => {
          const want = msgs.map((m) => decodeMessage(encodeMessage(m)));
          // Cut into pieces at random offsets, and (one session per stream) byte by byte: every
          // split point at once.
          const a = handshake(garbage);
          const b = handshake(garbage);
          const streamA = concat([a.pending, encodeAll(a.ini, msgs)]);
          const streamB = concat([b.pending, encodeAll(b.ini, msgs)]);
          const at = [...new Set(cuts.map((c) => c % (streamA.length + 1)))].sort((x, y) => x - y);
          const pieces = [0, ...at].map((from, i) => streamA.subarray(from, at[i] ?? streamA.length));
          expect(feedAll(a.res, pieces).map((f) => decodeMessage(f))).toEqual(want);
          const bytes = Array.from(streamB, (x) => Uint8Array.of(x));
          expect(feedAll(b.res, bytes).map((f) => decodeMessage(f))).toEqual(want);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('byte by byte, from the first key byte on, both directions', () => {
    const ini = new V2Transport({ magic, role: 'initiator', key: keys[2] });
    const res = new V2Transport({ magic, role: 'responder', key: keys[3] });
    const oneByOne = (t: V2Transport, b: Uint8Array) => {
      const sends: Uint8Array[] = [];
      const frames: Frame[] = [];
      for (const x of b) {
        const r = t.feed(Uint8Array.of(x));
        if (r.error) throw r.error;
        if (r.send) sends.push(r.send);
        frames.push(...r.frames);
      }
      return { send: concat(sends), frames };
    };
    const r1 = oneByOne(res, ini.start());
    const i1 = oneByOne(ini, concat([res.start(), r1.send, res.encode('ping', new Uint8Array(8).fill(1))]));
    expect(i1.frames.map((f) => f.command)).toEqual(['ping']);
    const r2 = oneByOne(res, concat([i1.send, ini.encode('pong', new Uint8Array(8).fill(1))]));
    expect(r2.frames.map((f) => [f.command, toHex(f.payload)])).toEqual([['pong', '0101010101010101']]);
  });

  it('across the rekey boundary (224 packets) in both ciphers, split anywhere', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: REKEY_INTERVAL - 3, max: 2 * REKEY_INTERVAL + 3 }),
        fc.nat(),
        (n, cut) => {
          const { ini, res, pending } = handshake();
          feedAll(res, [pending]);
          const payloads = Array.from({ length: n }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
          const stream = concat(payloads.map((p) => res.encode('inv', p)));
          const at = cut % (stream.length + 1);
          const frames = feedAll(ini, [stream.subarray(0, at), stream.subarray(at)]);
          expect(frames.length).toBe(n);
          expect(frames.map((f) => toHex(f.payload))).toEqual(payloads.map(toHex));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('reports the packet offset of each frame in the stream it was fed', () => {
    const { ini, res, pending } = handshake();
    feedAll(res, [pending]);
    const before = ini.received;
    const a = res.encode('verack', new Uint8Array(0));
    const b = res.encode('getaddr', new Uint8Array(0));
    expect(feedAll(ini, [concat([a, b])]).map((f) => f.offset)).toEqual([before, before + a.length]);
  });

  it('ignores decoy packets, before and after the version packet', () => {
    const ini = new V2Transport({ magic, role: 'initiator', key: keys[0], garbage: new Uint8Array(0) });
    const res = new V2Transport({ magic, role: 'responder', key: keys[1], garbage: new Uint8Array(0) });
    const { send } = res.feed(ini.start());
    // The responder's first packet is its version packet; a decoy sealed by hand follows.
    const sealer = (
      res as unknown as { sealer: { seal(c: Uint8Array, a?: Uint8Array, i?: boolean): Uint8Array } }
    ).sealer;
    const decoy = sealer.seal(new Uint8Array(100), undefined, true);
    const msg = res.encode('verack', new Uint8Array(0));
    const r = ini.feed(concat([res.start(), send as Uint8Array, decoy, msg]));
    expect(r.error).toBeUndefined();
    expect(r.frames.map((f) => f.command)).toEqual(['verack']);
    expect(ini.decoys).toBe(1);
  });

  it('BAD_MAC for a flipped bit, with the packet offset', () => {
    const { ini, res, pending } = handshake();
    feedAll(res, [pending]);
    const at = ini.received;
    const p = res.encode('verack', new Uint8Array(0));
    p[5] = (p[5] as number) ^ 1;
    const r = ini.feed(p);
    expect(r.error).toMatchObject({ code: 'BAD_MAC', offset: at });
    expect(ini.feed(new Uint8Array(1)).error?.code).toBe('BAD_MAC'); // unusable after
  });

  it('BAD_MAC when the garbage (the first packet AAD) was altered', () => {
    const ini = new V2Transport({ magic, role: 'initiator', key: keys[0], garbage: new Uint8Array(0) });
    const res = new V2Transport({ magic, role: 'responder', key: keys[1], garbage: new Uint8Array(5) });
    const { send } = res.feed(ini.start());
    const sent = concat([res.start(), send as Uint8Array]);
    sent[64] = 1; // first garbage byte
    expect(ini.feed(sent).error?.code).toBe('BAD_MAC');
  });

  it('another network magic: their terminator is never found', () => {
    const ini = new V2Transport({ magic, role: 'initiator', key: keys[0] });
    const res = new V2Transport({ magic: CHAINS.testnet4.magic, role: 'responder', key: keys[1] });
    const { send } = res.feed(ini.start());
    // The terminators differ too, so the initiator never finds one: 4095 bytes of garbage.
    const r = ini.feed(concat([res.start(), send as Uint8Array, new Uint8Array(MAX_GARBAGE_LEN + 16)]));
    expect(r.error?.code).toBe('NO_GARBAGE_TERMINATOR');
  });

  it('NO_GARBAGE_TERMINATOR after 4095 garbage bytes, not before', () => {
    const ini = new V2Transport({ magic, role: 'initiator', key: keys[0] });
    const key = ellswiftCreate().ellswift;
    ini.start();
    expect(ini.feed(concat([key, new Uint8Array(MAX_GARBAGE_LEN + 15)])).error).toBeUndefined();
    expect(ini.feed(new Uint8Array(1)).error).toMatchObject({ code: 'NO_GARBAGE_TERMINATOR', offset: 64 });
  });

  it('OVERSIZED for a packet above the limit, before its contents arrive', () => {
    const { ini, res, pending } = handshake();
    feedAll(res, [pending]);
    ini.setMaxLength(100);
    const ok = res.encode('inv', new Uint8Array(100));
    expect(feedAll(ini, [ok]).length).toBe(1);
    const big = res.encode('inv', new Uint8Array(120));
    expect(ini.feed(big.subarray(0, 3)).error?.code).toBe('OVERSIZED');
  });

  it('a responder refuses a v1 version header of another network', () => {
    const res = new V2Transport({ magic, role: 'responder', key: keys[1] });
    const v1 = concat([
      CHAINS.testnet4.magic,
      Uint8Array.from(Buffer.from('version\0\0\0\0\0')),
      new Uint8Array(48),
    ]);
    expect(res.feed(v1).error?.code).toBe('BAD_MAGIC');
  });

  it('reproduces the official vectors handshake: terminator and session id', () => {
    const [head, ...rows] = readFileSync(
      new URL('../../fixtures/bip324/packet_encoding_test_vectors.csv', import.meta.url),
      'utf8',
    )
      .trim()
      .split(/\r?\n/);
    const cols = (head as string).split(',');
    for (const row of rows) {
      const v = Object.fromEntries(row.split(',').map((x, i) => [cols[i], x])) as Record<string, string>;
      const role = v.in_initiating === '1' ? 'initiator' : 'responder';
      const key = ellswiftKeyFrom(hex(v.in_priv_ours as string), hex(v.in_ellswift_ours as string));
      const t = new V2Transport({ magic, role, key, garbage: new Uint8Array(0) });
      expect(toHex(t.start())).toBe(v.in_ellswift_ours);
      const { send, error } = t.feed(hex(v.in_ellswift_theirs as string));
      expect(error).toBeUndefined();
      expect(toHex((send as Uint8Array).subarray(0, 16))).toBe(v.mid_send_garbage_terminator);
      expect(toHex(t.sessionId as Uint8Array)).toBe(v.out_session_id);
    }
  });
});

describe('v2 message types', () => {
  it('short ids for the table, 12-byte commands otherwise', () => {
    expect(toHex(encodeContents('addrv2', Uint8Array.of(7)))).toBe('1c07');
    expect(toHex(encodeContents('version', new Uint8Array(0)))).toBe('0076657273696f6e0000000000');
    expect(decodeContents(hex('1c07'), 0)).toEqual({ command: 'addrv2', payload: Uint8Array.of(7) });
    expect(decodeContents(hex('12'), 0).command).toBe('ping');
    expect(decodeContents(hex('25'), 0).command).toBe('v2:37'); // proposed ids pass through
    expect(decodeContents(hex('0076657273696f6e000000000001'), 0)).toEqual({
      command: 'version',
      payload: Uint8Array.of(1),
    });
  });

  it.each([
    ['', 'MALFORMED'],
    ['0076657273', 'MALFORMED'],
    ['00000000000000000000000000', 'BAD_COMMAND'],
    ['0076000065000000000000000000', 'BAD_COMMAND'],
    ['0076657273696f6e0000000a0000', 'BAD_COMMAND'],
  ])('contents %s: %s', (h, code) => {
    expect(() => decodeContents(hex(h), 9)).toThrow(expect.objectContaining({ code, offset: 9 }));
  });
});
