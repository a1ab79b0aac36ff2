import { hash } from 'node:crypto';
import { base32 } from '@scure/base';
import { ProtocolError } from '../errors.ts';

/*
 * Tor v3 onion names (rend-spec-v3 §6): base32(PUBKEY(32) | CHECKSUM(2) | VERSION(1)) + ".onion",
 * CHECKSUM = SHA3-256(".onion checksum" | PUBKEY | VERSION)[:2], VERSION = 3.
 */
const VERSION = 3;
const PREFIX = Buffer.from('.onion checksum', 'ascii');

// One buffer and the one-shot hash: a fifth of an addrv2 answer can be Tor v3 names, and a
// Hash object per name cost 4 µs against 2.6 (measured).
const CHECKSUM_INPUT = Buffer.alloc(PREFIX.length + 33);
PREFIX.copy(CHECKSUM_INPUT);
CHECKSUM_INPUT[PREFIX.length + 32] = VERSION;

function onionChecksum(pubkey: Uint8Array): Uint8Array {
  CHECKSUM_INPUT.set(pubkey, PREFIX.length);
  return hash('sha3-256', CHECKSUM_INPUT, 'buffer').subarray(0, 2);
}

export function onionFromPubkey(pubkey: Uint8Array): string {
  if (pubkey.length !== 32)
    throw new ProtocolError('BAD_ADDRESS', `Tor v3 key must be 32 bytes, got ${pubkey.length}`);
  const raw = new Uint8Array(35);
  raw.set(pubkey, 0);
  raw.set(onionChecksum(pubkey), 32);
  raw[34] = VERSION;
  return `${base32.encode(raw).toLowerCase()}.onion`;
}

/** Validates a v3 .onion name (checksum and version) and returns its 32-byte public key. */
export function onionToPubkey(name: string): Uint8Array {
  const lower = name.toLowerCase();
  if (!lower.endsWith('.onion')) throw new ProtocolError('BAD_ADDRESS', `not an .onion name: ${name}`);
  const label = lower.slice(0, -'.onion'.length);
  if (label.length !== 56) {
    throw new ProtocolError(
      'BAD_ADDRESS',
      `Tor v3 name must have 56 base32 characters, got ${label.length}: ${name}`,
    );
  }
  let raw: Uint8Array;
  try {
    raw = base32.decode(label.toUpperCase());
  } catch {
    throw new ProtocolError('BAD_ADDRESS', `invalid base32 in onion name: ${name}`);
  }
  if (raw[34] !== VERSION)
    throw new ProtocolError('BAD_ADDRESS', `onion version ${raw[34]} is not 3: ${name}`);
  const pubkey = raw.subarray(0, 32);
  const sum = onionChecksum(pubkey);
  if (raw[32] !== sum[0] || raw[33] !== sum[1]) {
    throw new ProtocolError('BAD_ADDRESS', `onion checksum mismatch: ${name}`);
  }
  return Uint8Array.from(pubkey);
}
