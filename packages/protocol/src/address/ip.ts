import ipaddr from 'ipaddr.js';
import { ProtocolError } from '../errors.ts';

/*
 * Hand-written formatters: addr messages carry up to 1000 addresses, so formatting is on
 * the hot path. IPv6 text goes through ipaddr.js, which is strict and well tested.
 */

/** Character codes of the dotted quad being formatted (at most 15). */
const codes = new Array<number>(15).fill(0);

/** Appends the decimal digits of v (0-255) to `codes` at n; returns the new length. */
function putOctet(v: number, n: number): number {
  if (v >= 100) {
    codes[n++] = 48 + ((v / 100) | 0);
    codes[n++] = 48 + (((v / 10) | 0) % 10);
  } else if (v >= 10) {
    codes[n++] = 48 + ((v / 10) | 0);
  }
  codes[n++] = 48 + (v % 10);
  return n;
}

/**
 * Formats 4 bytes at `off` as dotted decimal. Every address of every addr answer comes through
 * here, so the string is made by one String.fromCharCode call with one argument per character:
 * one flat string, where concatenation would allocate the pieces too and, from 13 characters
 * on, a rope that hashing the host then has to flatten.
 */
export function formatIPv4(b: Uint8Array, off = 0): string {
  let n = putOctet(b[off] as number, 0);
  codes[n++] = 46;
  n = putOctet(b[off + 1] as number, n);
  codes[n++] = 46;
  n = putOctet(b[off + 2] as number, n);
  codes[n++] = 46;
  n = putOctet(b[off + 3] as number, n);
  const c = codes as number[] & { [i: number]: number };
  const f = String.fromCharCode;
  switch (n) {
    case 7:
      return f(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
    case 8:
      return f(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]);
    case 9:
      return f(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]);
    case 10:
      return f(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]);
    case 11:
      return f(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10]);
    case 12:
      return f(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11]);
    case 13:
      return f(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12]);
    case 14:
      return f(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13]);
    default:
      return f(c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13], c[14]);
  }
}

/** RFC 5952: lowercase, no leading zeros, the longest run (>= 2) of zero groups compressed, first on ties. */
export function formatIPv6(b: Uint8Array, off = 0): string {
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = ((b[off + 2 * i] as number) << 8) | (b[off + 2 * i + 1] as number);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16));
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16));
  return `${head.join(':')}::${tail.join(':')}`;
}

/**
 * Strict dotted-quad IPv4 (four decimal parts 0-255, no leading zeros, no octal or short
 * forms) to 4 bytes. Hand-written: encoding an addr answer parses up to 1000 of these, and
 * the regular expressions of a general parser cost several times more.
 */
export function parseIPv4(text: string): Uint8Array | undefined {
  const out = new Uint8Array(4);
  return parseIPv4Into(text, out, 0) ? out : undefined;
}

/** parseIPv4 into `out` at `at` (no allocation: packing an answer parses up to 1,000); false if not one. */
export function parseIPv4Into(text: string, out: Uint8Array, at: number): boolean {
  if (text.length < 7 || text.length > 15) return false;
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e; // a virtual '.' closes the last part
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return false;
      out[at + part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return false; // leading zero
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return false;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** IPv6 text (no zone id) to 16 bytes. */
export function parseIPv6(text: string): Uint8Array | undefined {
  // "::" fills every version message's unused address fields; skip ipaddr.js's two parses for it.
  if (text === '::') return new Uint8Array(16);
  if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return undefined;
  return Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
}

export function ipv6FromBytes(b: Uint8Array): string {
  if (b.length !== 16)
    throw new ProtocolError('BAD_ADDRESS', `IPv6 address must be 16 bytes, got ${b.length}`);
  return formatIPv6(b);
}
