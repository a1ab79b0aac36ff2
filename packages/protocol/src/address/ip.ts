import ipaddr from 'ipaddr.js';
import { ProtocolError } from '../errors.ts';

/*
 * Hand-written formatters: addr messages carry up to 1000 addresses, so formatting is on
 * the hot path. IPv6 text goes through ipaddr.js, which is strict and well tested.
 */

/** "0." .. "255." and "0" .. "255": a dotted quad is then three concatenations, not seven. */
const OCTET_DOT = Array.from({ length: 256 }, (_, i) => `${i}.`);
const OCTET = Array.from({ length: 256 }, (_, i) => `${i}`);

/** Formats 4 bytes at `off` as dotted decimal. */
export function formatIPv4(b: Uint8Array, off = 0): string {
  return (
    (OCTET_DOT[b[off] as number] as string) +
    (OCTET_DOT[b[off + 1] as number] as string) +
    (OCTET_DOT[b[off + 2] as number] as string) +
    (OCTET[b[off + 3] as number] as string)
  );
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
  if (text.length < 7 || text.length > 15) return undefined;
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e; // a virtual '.' closes the last part
    if (c === 0x2e) {
      if (digits === 0 || part > 3) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return undefined; // leading zero
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return undefined;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
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
