import { base32nopad } from '@scure/base';
import { ProtocolError } from '../errors.ts';

/** I2P destinations as 52 lowercase base32 characters (no padding) of the 32-byte hash + ".b32.i2p". */
export function i2pFromHash(hash: Uint8Array): string {
  if (hash.length !== 32)
    throw new ProtocolError('BAD_ADDRESS', `I2P hash must be 32 bytes, got ${hash.length}`);
  return `${base32nopad.encode(hash).toLowerCase()}.b32.i2p`;
}

export function i2pToHash(name: string): Uint8Array {
  const lower = name.toLowerCase();
  if (!lower.endsWith('.b32.i2p')) throw new ProtocolError('BAD_ADDRESS', `not a .b32.i2p name: ${name}`);
  const label = lower.slice(0, -'.b32.i2p'.length);
  if (label.length !== 52) {
    throw new ProtocolError(
      'BAD_ADDRESS',
      `I2P name must have 52 base32 characters, got ${label.length}: ${name}`,
    );
  }
  try {
    const hash = base32nopad.decode(label.toUpperCase());
    // 52 chars carry 260 bits; the last 4 must be zero or the name is not canonical.
    if (i2pFromHash(hash) !== lower) throw new Error('non-canonical');
    return hash;
  } catch {
    throw new ProtocolError('BAD_ADDRESS', `invalid base32 in I2P name: ${name}`);
  }
}
