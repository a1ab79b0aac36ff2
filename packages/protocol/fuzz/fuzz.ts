import { createHash } from 'node:crypto';
import { packAddrs } from '../src/address/packed.ts';
import { packList } from '../src/address/packed-list.ts';
import { ProtocolError } from '../src/errors.ts';
import { decodeMessage, type Message } from '../src/message.ts';
import { decodeAddrPacked } from '../src/messages/addr-packed.ts';
import { CHAINS } from '../src/networks.ts';
import { MessageStreamDecoder } from '../src/stream-decoder.ts';
import { type RefResult, referenceDecode } from './reference.ts';

/*
 * The frame fuzzer: seeded random streams of mostly-valid frames (every message kind we decode,
 * raw addr/addrv2 entries of every network id and length, unknown commands), mutated at the
 * byte level, fed to MessageStreamDecoder in random chunks, and compared frame by frame with
 * the independent reference decoder: the same messages at the same offsets, the same error
 * (frame-level by code, payload-level by kind) at the same offset, the same truncation.
 */

const magic = CHAINS.mainnet.magic;

/** xorshift32: reproducible from the seed alone. */
class Rng {
  constructor(private s: number) {
    if (this.s === 0) this.s = 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(n: number): number {
    return this.next() % n;
  }
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() & 0xff;
    return out;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
}

const le = (v: bigint, n: number) => {
  const out = new Uint8Array(n);
  let x = BigInt.asUintN(8 * n, v);
  for (let i = 0; i < n; i++, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
};
const be16 = (v: number) => Uint8Array.of(v >> 8, v & 0xff);
function compact(v: number): Uint8Array {
  if (v < 0xfd) return Uint8Array.of(v);
  if (v <= 0xffff) return Uint8Array.of(0xfd, v & 0xff, v >> 8);
  return Uint8Array.of(0xfe, ...le(BigInt(v), 4));
}
const cat = (...parts: Uint8Array[]) => Uint8Array.from(Buffer.concat(parts));

const PREFIXES = ['00000000000000000000ffff', 'fd87d87eeb43', 'fd6b88c08724', 'fc', '2001', '00', 'fe80'];
function ip16(r: Rng): Uint8Array {
  const b = r.bytes(16);
  if (r.chance(0.6)) b.set(Buffer.from(r.pick(PREFIXES), 'hex'));
  if (r.chance(0.2)) b.fill(0, r.int(16));
  return b;
}

const SERVICES = [0n, 1n, 0x409n, 0xc09n, 0xfcn, 0xfdn, 0x10000n, 2n ** 64n - 1n];

function netAddr(r: Rng): Uint8Array {
  return cat(le(r.pick(SERVICES), 8), ip16(r), be16(r.int(65536)));
}

function payloadFor(r: Rng, command: string): Uint8Array {
  switch (command) {
    case 'version': {
      const ua = r.bytes(r.chance(0.1) ? 257 : r.int(40));
      const full = cat(
        le(BigInt(r.pick([70016, 31800, 31799, 0, -1, 2 ** 31 - 1])), 4),
        le(r.pick(SERVICES), 8),
        le(BigInt(r.next()) * 1000n, 8),
        netAddr(r),
        netAddr(r),
        le(BigInt(r.next()), 8),
        compact(ua.length),
        ua,
        le(BigInt(r.next() | 0), 4),
        Uint8Array.of(r.int(3)),
      );
      // Core reads every prefix that ends between fields; cut anywhere to test both kinds.
      return r.chance(0.5) ? full : full.subarray(0, r.int(full.length + 1));
    }
    case 'ping':
    case 'pong':
    case 'feefilter':
      return r.bytes(8);
    case 'sendcmpct':
      return cat(Uint8Array.of(r.int(3)), r.bytes(8));
    case 'addr': {
      const n = r.chance(0.02) ? 1001 : r.int(12);
      const entries = Array.from({ length: n }, () => cat(le(BigInt(r.next()), 4), netAddr(r)));
      return cat(compact(n), ...entries);
    }
    case 'addrv2': {
      const n = r.chance(0.02) ? 1001 : r.int(12);
      const sizes: Record<number, number> = { 1: 4, 2: 16, 3: 10, 4: 32, 5: 32, 6: 16, 7: 8 };
      const entries = Array.from({ length: n }, () => {
        const id = r.int(9);
        const len = r.chance(0.05) ? r.int(40) : (sizes[id] ?? r.int(20));
        const addr = id === 2 || id === 6 ? ip16(r).subarray(0, len) : r.bytes(len);
        if (id === 6 && r.chance(0.7) && addr.length > 0) addr[0] = 0xfc;
        return cat(
          le(BigInt(r.next()), 4),
          compact(Number(r.pick(SERVICES) & 0xffffn)),
          Uint8Array.of(id),
          compact(len),
          addr,
          be16(r.int(65536)),
        );
      });
      return cat(compact(n), ...entries);
    }
    default:
      return r.bytes(r.int(5) === 0 ? r.int(64) : 0);
  }
}

const COMMANDS = [
  'version',
  'verack',
  'ping',
  'pong',
  'addr',
  'addrv2',
  'sendcmpct',
  'feefilter',
  'getaddr',
  'sendaddrv2',
  'wtxidrelay',
  'sendheaders',
  'inv',
  '',
  'x y~',
];

function frameOf(command: string, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(24);
  h.set(magic);
  for (let i = 0; i < command.length; i++) h[4 + i] = command.charCodeAt(i);
  new DataView(h.buffer).setUint32(16, payload.length, true);
  const sum = createHash('sha256').update(createHash('sha256').update(payload).digest()).digest();
  h.set(sum.subarray(0, 4), 20);
  return cat(h, payload);
}

/** One frame, valid or mutated; payload mutations re-sign the frame so they reach the decoders. */
function fuzzFrame(r: Rng): Uint8Array {
  const command = r.pick(COMMANDS);
  let payload = payloadFor(r, command);
  const roll = r.int(100);
  if (roll < 35) return frameOf(command, payload);
  if (roll < 65) {
    payload = Uint8Array.from(payload);
    for (let k = 1 + r.int(3); k > 0 && payload.length > 0; k--)
      payload[r.int(payload.length)] = r.next() & 0xff;
    return frameOf(command, payload);
  }
  if (roll < 80) {
    payload = r.chance(0.5)
      ? payload.subarray(0, r.int(payload.length + 1))
      : cat(payload, r.bytes(1 + r.int(8)));
    return frameOf(command, payload);
  }
  const f = Uint8Array.from(frameOf(command, payload));
  const at = r.int(24);
  if (at >= 16 && at < 20 && r.chance(0.5))
    new DataView(f.buffer).setUint32(16, r.pick([0xffffffff, 4_000_001, 32 << 20, f.length]), true);
  else f[at] = r.next() & 0xff;
  return f;
}

type Ours =
  | { kind: 'message'; offset: number; message: Message }
  | { kind: 'error'; offset: number; code: string };

function ourDecode(stream: Uint8Array, r: Rng): { results: Ours[]; truncated: boolean } {
  const d = new MessageStreamDecoder(magic);
  const results: Ours[] = [];
  let error: ProtocolError | undefined;
  for (let at = 0; at < stream.length && !error; ) {
    const n = 1 + r.int(r.chance(0.5) ? 16 : 4096);
    const out = d.push(stream.subarray(at, at + n));
    for (const m of out.messages) results.push({ kind: 'message', offset: m.offset, message: m.message });
    error = out.error;
    at += n;
  }
  const end = error ?? d.end();
  if (end && end.code === 'TRUNCATED' && !error) return { results, truncated: true };
  if (end) results.push({ kind: 'error', offset: end.offset ?? -1, code: end.code });
  return { results, truncated: false };
}

const PAYLOAD_KIND: Record<string, string> = {
  TRUNCATED: 'short',
  MALFORMED: 'bad',
  TOO_MANY_ENTRIES: 'bad',
  BAD_ADDRESS: 'bad',
};

function sameResult(a: Ours, b: RefResult): boolean {
  if (a.offset !== b.offset || a.kind !== b.kind) return false;
  if (a.kind === 'message' && b.kind === 'message') return deepEqual(a.message, b.message);
  if (a.kind === 'error' && b.kind === 'error')
    return b.level === 'frame' ? a.code === b.code : PAYLOAD_KIND[a.code] === b.code;
  return false;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a).equals(Buffer.from(b));
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return (
      ka.length === kb.length &&
      ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return a === b;
}

/** Whether the packed decoder and packAddrs(decodeMessage(...)) agree on a payload: bytes and skipped, or error code and message. */
function samePacked(command: 'addr' | 'addrv2', payload: Uint8Array): boolean {
  const run = (f: () => { packed: Uint8Array; skipped: number }): string => {
    try {
      const r = f();
      return `${Buffer.from(r.packed).toString('hex')} ${r.skipped}`;
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      return `${err.code} ${err.message}`;
    }
  };
  const general = run(() => {
    const m = decodeMessage({ command, payload }) as {
      addresses: Parameters<typeof packAddrs>[0];
      skipped: number;
    };
    return { packed: packAddrs(m.addresses), skipped: m.skipped };
  });
  const packed = run(() => {
    const m = decodeAddrPacked(command, payload);
    return { packed: packList(m.packed), skipped: m.skipped };
  });
  return general === packed;
}

export interface FuzzReport {
  frames: number;
  accepted: number;
  errors: Record<string, number>;
  /** Streams on which the two decoders disagree (must be 0). */
  disagreements: number;
  /** addr/addrv2 payloads also decoded by the crawl session's packed decoder. */
  packedChecked: number;
  /** Those where it and packAddrs(decodeMessage(...)) differ in bytes, skipped count or error (must be 0). */
  packedDisagreements: number;
  /** The first disagreements, hex of the whole stream with both sides' results. */
  mismatches: { seed: number; stream: string; ours: unknown; reference: unknown }[];
}

const json = (x: unknown) =>
  JSON.parse(
    JSON.stringify(x, (_, v) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    ),
  );

/** Runs streams of 1-4 frames until `frames` frames were generated. */
export function fuzz(frames: number, seed = 1, keep = 5): FuzzReport {
  const report: FuzzReport = {
    frames: 0,
    accepted: 0,
    errors: {},
    disagreements: 0,
    packedChecked: 0,
    packedDisagreements: 0,
    mismatches: [],
  };
  for (let i = 0; report.frames < frames; i++) {
    const streamSeed = (seed * 0x9e3779b1 + i) >>> 0;
    const r = new Rng(streamSeed);
    const n = 1 + r.int(4);
    const frames = Array.from({ length: n }, () => fuzzFrame(r));
    for (const f of frames) {
      const command = Buffer.from(f.subarray(4, 16)).toString('latin1').replace(/\0+$/, '');
      if (f.length < 24 || (command !== 'addr' && command !== 'addrv2')) continue;
      report.packedChecked++;
      if (!samePacked(command, f.subarray(24))) report.packedDisagreements++;
    }
    let stream = cat(...frames);
    if (r.chance(0.1)) stream = stream.subarray(0, r.int(stream.length + 1)); // a capture cut short
    report.frames += n;
    const ours = ourDecode(stream, r);
    const ref = referenceDecode(magic, stream);
    const agree =
      ours.truncated === ref.truncated &&
      ours.results.length === ref.results.length &&
      ours.results.every((x, k) => sameResult(x, ref.results[k] as RefResult));
    for (const x of ours.results) {
      if (x.kind === 'message') report.accepted++;
      else report.errors[x.code] = (report.errors[x.code] ?? 0) + 1;
    }
    if (agree) continue;
    report.disagreements++;
    if (report.mismatches.length < keep)
      report.mismatches.push({
        seed: streamSeed,
        stream: Buffer.from(stream).toString('hex'),
        ours: json(ours),
        reference: json(ref),
      });
  }
  return report;
}
