import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../../fixtures/addr-packed.json' with { type: 'json' };
import parity from '../../fixtures/core-parity.json' with { type: 'json' };
import invalid from '../../fixtures/frames.invalid.json' with { type: 'json' };
import { packAddrs } from '../address/packed.ts';
import { listOfPacked, packList } from '../address/packed-list.ts';
import { anyEntry } from '../arbitraries.test-util.ts';
import { ProtocolError } from '../errors.ts';
import { decodeMessage, encodeMessage } from '../message.ts';
import { decodeAddrPacked } from './addr-packed.ts';

type Command = 'addr' | 'addrv2';
type Outcome = { packed: string; skipped: number } | { code: string; message: string };

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function outcome(run: () => { packed: Uint8Array; skipped: number }): Outcome {
  try {
    const r = run();
    return { packed: hex(r.packed), skipped: r.skipped };
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    return { code: err.code, message: err.message };
  }
}

/** What the general decoder and packAddrs make of a payload. */
function reference(command: Command, payload: Uint8Array): Outcome {
  return outcome(() => {
    const m = decodeMessage({ command, payload });
    if (m.command !== command) throw new Error(`decoded as ${m.command}`);
    return {
      packed: packAddrs((m as { addresses: Parameters<typeof packAddrs>[0] }).addresses),
      skipped: m.skipped,
    };
  });
}

/** What the crawl session's decoder makes of it; its entry offsets are checked on the way. */
function packed(command: Command, payload: Uint8Array): Outcome {
  return outcome(() => {
    const m = decodeAddrPacked(command, payload);
    expect(m.command).toBe(command);
    const p = packList(m.packed);
    const walked = listOfPacked(p);
    expect(walked.count).toBe(m.packed.count);
    expect([...m.packed.starts.subarray(0, m.packed.count + 1)]).toEqual([
      ...walked.starts.subarray(0, walked.count + 1),
    ]);
    return { packed: p, skipped: m.skipped };
  });
}

function same(command: Command, payload: Uint8Array, why: string): void {
  expect(packed(command, payload), why).toEqual(reference(command, payload));
}

/** Command and payload of a whole v1 frame (24-byte header). */
function frame(hexFrame: string): { command: string; payload: Uint8Array } {
  const b = Buffer.from(hexFrame, 'hex');
  return { command: b.subarray(4, 16).toString('latin1').replace(/\0+$/, ''), payload: b.subarray(24) };
}

describe('decodeAddrPacked (fixtures/addr-packed.json)', () => {
  for (const v of vectors.vectors) {
    it(v.why, () => {
      const payload = Buffer.from(v.hex, 'hex');
      const want: Outcome =
        'code' in v && v.code !== undefined
          ? { code: v.code, message: v.message as string }
          : { packed: v.packed as string, skipped: v.skipped as number };
      expect(reference(v.command as Command, payload)).toEqual(want);
      expect(packed(v.command as Command, payload)).toEqual(want);
    });
  }
});

describe('decodeAddrPacked equals packAddrs(decodeMessage(...))', () => {
  it('for every addr/addrv2 frame of the frame fixtures (core-parity.json, frames.invalid.json)', () => {
    const frames = [...parity.tolerated, ...invalid.cases].map((c) => ({ why: c.why, ...frame(c.hex) }));
    const addrFrames = frames.filter((f) => f.command === 'addr' || f.command === 'addrv2');
    expect(addrFrames.length).toBeGreaterThanOrEqual(4);
    for (const f of addrFrames) same(f.command as Command, f.payload, f.why);
  });

  it('for every truncation and every one-byte corruption of the fixture payloads', () => {
    for (const v of vectors.vectors) {
      const p = Buffer.from(v.hex, 'hex');
      if (p.length > 200) continue; // the 512-byte address cases: their cuts are all alike
      for (let cut = 0; cut < p.length; cut++)
        same(v.command as Command, p.subarray(0, cut), `${v.why} cut at ${cut}`);
      for (let i = 0; i < p.length; i++) {
        for (const x of [0x01, 0x80, 0xff]) {
          const c = Uint8Array.from(p);
          c[i] = (c[i] as number) ^ x;
          same(v.command as Command, c, `${v.why}: byte ${i} ^ ${x}`);
        }
      }
    }
  });

  it('for random valid messages of every network and services width', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Command>('addr', 'addrv2'),
        fc.array(anyEntry, { maxLength: 60 }),
        (command, addresses) => {
          const payload = encodeMessage({ command, addresses, skipped: 0 }).payload;
          same(command, payload, command);
        },
      ),
      { numRuns: 300 },
    );
  });

  // Raw entries: any network id and length, addresses at and around the prefixes Core skips.
  const prefixes = ['', '00000000000000000000ffff', 'fd87d87eeb43', 'fd6b88c08724', 'fc', 'fd', '20'];
  const rawAddress = fc
    .record({ prefix: fc.constantFrom(...prefixes), rest: fc.uint8Array({ maxLength: 40 }) })
    .map(({ prefix, rest }) => Uint8Array.from([...Buffer.from(prefix, 'hex'), ...rest]));
  const compact = (v: bigint): number[] => {
    if (v < 0xfdn) return [Number(v)];
    const size = v <= 0xffffn ? 2 : v <= 0xffff_ffffn ? 4 : 8;
    const out = [size === 2 ? 0xfd : size === 4 ? 0xfe : 0xff];
    for (let i = 0; i < size; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
    return out;
  };
  const rawV2Entry = fc
    .record({
      time: fc.uint8Array({ minLength: 4, maxLength: 4 }),
      services: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      id: fc.integer({ min: 0, max: 8 }),
      addr: rawAddress,
      length: fc.option(fc.integer({ min: 0, max: 40 })),
      port: fc.uint8Array({ minLength: 2, maxLength: 2 }),
    })
    .map((e) => {
      const sizes = [0, 4, 16, 10, 32, 32, 16];
      const len = e.length ?? sizes[e.id] ?? e.addr.length;
      const addr = Uint8Array.from({ length: len }, (_, i) => e.addr[i] ?? i);
      return [...e.time, ...compact(e.services), e.id, len, ...addr, ...e.port];
    });
  const rawV1Entry = fc
    .record({ head: fc.uint8Array({ minLength: 12, maxLength: 12 }), addr: rawAddress, port: fc.nat(65535) })
    .map((e) => [
      ...e.head,
      ...Uint8Array.from({ length: 16 }, (_, i) => e.addr[i] ?? i),
      e.port >> 8,
      e.port & 255,
    ]);

  it('for random raw payloads (any id, length, prefix, count), valid or not', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Command>('addr', 'addrv2'),
        fc.array(fc.integer(), { maxLength: 30 }),
        fc.integer({ min: -2, max: 2 }),
        fc.uint8Array({ maxLength: 3 }),
        (command, seeds, countSkew, tail) => {
          const rng = fc.sample(command === 'addr' ? rawV1Entry : rawV2Entry, {
            numRuns: seeds.length,
            seed: seeds[0] ?? 0,
          });
          const count = Math.max(0, seeds.length + countSkew);
          const payload = Uint8Array.from([...compact(BigInt(count)), ...rng.flat(), ...tail]);
          same(command, payload, `${command} ${hex(payload)}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
