import { createHash } from 'node:crypto';

/*
 * An independent decoder of v1 frames, written from the protocol's description (Bitcoin Core
 * v31's rules) and sharing no code with src/: the fuzz target compares every frame the real
 * parser and decoders accept (and every one they refuse) with what this one says. It is meant
 * to be obviously right, not fast: byte offsets by hand, addresses via WHATWG URL and
 * node:crypto, its own base32.
 */

export type RefResult =
  | { kind: 'message'; offset: number; message: Record<string, unknown> }
  | { kind: 'error'; offset: number; level: 'frame' | 'payload'; code: string };

const MAX_PAYLOAD = 4_000_000;
const MAX_ENTRIES = 1000;
const EMPTY = new Set(['verack', 'getaddr', 'sendaddrv2', 'wtxidrelay', 'sendheaders']);

class Short extends Error {}
class Bad extends Error {}

/** A cursor that throws Short past the end. */
class Cur {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  take(n: number): Uint8Array {
    if (this.pos + n > this.b.length) throw new Short();
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  get left(): number {
    return this.b.length - this.pos;
  }
  uint(n: number): bigint {
    const bytes = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i] as number);
    return v;
  }
  sint(n: number): bigint {
    const v = this.uint(n);
    const top = 1n << BigInt(8 * n - 1);
    return v >= top ? v - (top << 1n) : v;
  }
  portBE(): number {
    const [hi, lo] = this.take(2) as unknown as [number, number];
    return hi * 256 + lo;
  }
  compact(): bigint {
    const first = Number(this.uint(1));
    if (first < 253) return BigInt(first);
    const width = first === 253 ? 2 : first === 254 ? 4 : 8;
    const v = this.uint(width);
    const min = width === 2 ? 253n : width === 4 ? 0x10000n : 0x100000000n;
    if (v < min) throw new Bad('non-canonical');
    return v;
  }
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
function base32(bytes: Uint8Array): string {
  let bits = '';
  for (const x of bytes) bits += x.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5)
    out += ALPHABET[Number.parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

function ipv6Text(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

const startsWith = (b: Uint8Array, hex: string) =>
  Buffer.from(b.subarray(0, hex.length / 2)).toString('hex') === hex;
const MAPPED = '00000000000000000000ffff';
const TORV2 = 'fd87d87eeb43';
const INTERNAL = 'fd6b88c08724';

function legacy(ip: Uint8Array): { network: string; host: string } | undefined {
  if (startsWith(ip, MAPPED)) return { network: 'ipv4', host: [...ip.subarray(12)].join('.') };
  if (startsWith(ip, TORV2) || startsWith(ip, INTERNAL)) return undefined;
  return { network: 'ipv6', host: ipv6Text(ip) };
}

function bip155(id: number, a: Uint8Array): { network: string; host: string } | undefined {
  const sizes: Record<number, [string, number]> = {
    1: ['ipv4', 4],
    2: ['ipv6', 16],
    4: ['onion', 32],
    5: ['i2p', 32],
    6: ['cjdns', 16],
  };
  const known = sizes[id];
  if (!known) return undefined; // unknown ids (Tor v2 = 3 included) are skipped
  const [network, size] = known;
  if (a.length !== size) throw new Bad('address length');
  switch (network) {
    case 'ipv4':
      return { network, host: [...a].join('.') };
    case 'ipv6':
      if (startsWith(a, MAPPED) || startsWith(a, TORV2) || startsWith(a, INTERNAL)) return undefined;
      return { network, host: ipv6Text(a) };
    case 'cjdns':
      return a[0] === 0xfc ? { network, host: ipv6Text(a) } : undefined;
    case 'onion': {
      const sum = createHash('sha3-256')
        .update(Buffer.concat([Buffer.from('.onion checksum'), a, Buffer.of(3)]))
        .digest();
      return { network, host: `${base32(Buffer.concat([a, sum.subarray(0, 2), Buffer.of(3)]))}.onion` };
    }
    default:
      return { network, host: `${base32(a)}.b32.i2p` };
  }
}

function netAddr(c: Cur): Record<string, unknown> {
  const services = c.uint(8);
  const where = legacy(c.take(16)) ?? { network: 'ipv6', host: '::' };
  return { services, ...where, port: c.portBE() };
}

function decodePayload(command: string, p: Uint8Array): Record<string, unknown> {
  const c = new Cur(p);
  if (EMPTY.has(command)) return { command };
  switch (command) {
    case 'ping':
    case 'pong':
      return { command, nonce: c.uint(8) };
    case 'feefilter':
      return { command, feeRate: c.sint(8) };
    case 'sendcmpct':
      return { command, announce: c.uint(1) !== 0n, version: c.uint(8) };
    case 'version': {
      const m: Record<string, unknown> = {
        command,
        version: Number(c.sint(4)),
        services: c.uint(8),
        timestamp: c.sint(8),
        addrRecv: netAddr(c),
        addrFrom: { services: 0n, network: 'ipv6', host: '::', port: 0 },
        nonce: 1n,
        userAgent: '',
        startHeight: -1,
      };
      if (c.left > 0) {
        m.addrFrom = netAddr(c);
        m.nonce = c.uint(8);
      }
      if (c.left > 0) {
        const n = c.compact();
        if (n > 256n) throw new Bad('user agent');
        m.userAgent = Buffer.from(c.take(Number(n))).toString('utf8');
      }
      if (c.left > 0) m.startHeight = Number(c.sint(4));
      if (c.left > 0) m.relay = c.uint(1) !== 0n;
      return m;
    }
    case 'addr':
    case 'addrv2': {
      const count = c.compact();
      if (count > BigInt(MAX_ENTRIES)) throw new Bad('too many');
      const addresses: Record<string, unknown>[] = [];
      let skipped = 0;
      for (let i = 0; i < Number(count); i++) {
        const time = Number(c.uint(4));
        let where: { network: string; host: string } | undefined;
        let services: bigint;
        if (command === 'addr') {
          services = c.uint(8);
          where = legacy(c.take(16));
        } else {
          services = c.compact();
          const id = Number(c.uint(1));
          const len = c.compact();
          if (len > 512n) throw new Bad('address over 512 bytes');
          where = bip155(id, c.take(Number(len)));
        }
        const port = c.portBE();
        if (where) addresses.push({ time, services, ...where, port });
        else skipped++;
      }
      return { command, addresses, skipped };
    }
    default:
      return { command: 'unknown', name: command, payload: Uint8Array.from(p) };
  }
}

const sha256d = (b: Uint8Array) =>
  createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

/**
 * Decodes a whole stream: every message up to the first error (then the stream has lost its
 * framing and decoding stops). `truncated` says the stream ended inside a frame.
 */
export function referenceDecode(
  magic: Uint8Array,
  s: Uint8Array,
): { results: RefResult[]; truncated: boolean } {
  const results: RefResult[] = [];
  let at = 0;
  while (at < s.length) {
    // Magic is checked byte by byte, as far as the stream goes.
    for (let i = 0; i < 4 && at + i < s.length; i++) {
      if (s[at + i] !== magic[i])
        return {
          results: [...results, { kind: 'error', offset: at, level: 'frame', code: 'BAD_MAGIC' }],
          truncated: false,
        };
    }
    if (at + 24 > s.length) return { results, truncated: true };
    const cmd = s.subarray(at + 4, at + 16);
    const nul = cmd.indexOf(0);
    const end = nul < 0 ? 12 : nul;
    const printable = [...cmd.subarray(0, end)].every((x) => x >= 0x20 && x <= 0x7e);
    const padded = [...cmd.subarray(end)].every((x) => x === 0);
    if (!printable || !padded)
      return {
        results: [...results, { kind: 'error', offset: at, level: 'frame', code: 'BAD_COMMAND' }],
        truncated: false,
      };
    const command = Buffer.from(cmd.subarray(0, end)).toString('latin1');
    const length = Buffer.from(s.subarray(at + 16, at + 20)).readUInt32LE(0);
    if (length > MAX_PAYLOAD)
      return {
        results: [...results, { kind: 'error', offset: at, level: 'frame', code: 'OVERSIZED' }],
        truncated: false,
      };
    if (at + 24 + length > s.length) return { results, truncated: true };
    const payload = s.subarray(at + 24, at + 24 + length);
    if (
      !sha256d(payload)
        .subarray(0, 4)
        .equals(Buffer.from(s.subarray(at + 20, at + 24)))
    )
      return {
        results: [...results, { kind: 'error', offset: at, level: 'frame', code: 'BAD_CHECKSUM' }],
        truncated: false,
      };
    try {
      results.push({ kind: 'message', offset: at, message: decodePayload(command, payload) });
    } catch (err) {
      if (!(err instanceof Short || err instanceof Bad)) throw err;
      results.push({
        kind: 'error',
        offset: at,
        level: 'payload',
        code: err instanceof Short ? 'short' : 'bad',
      });
      return { results, truncated: false };
    }
    at += 24 + length;
  }
  return { results, truncated: false };
}
