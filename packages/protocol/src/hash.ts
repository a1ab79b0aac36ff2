import { hash } from 'node:crypto';

/** One-shot hashing (crypto.hash): a third cheaper than createHash() for a frame's small payloads. */
export function sha256(data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer');
}

export function doubleSha256(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

/** Checksum of an empty payload (verack, getaddr, sendaddrv2, ...: half of a handshake's frames). */
const EMPTY_CHECKSUM = Uint8Array.of(0x5d, 0xf6, 0xe0, 0xe2);

/** The frame checksum: the first 4 bytes of double SHA-256 of the payload. Do not mutate it. */
export function checksum(payload: Uint8Array): Uint8Array {
  if (payload.length === 0) return EMPTY_CHECKSUM;
  return doubleSha256(payload).subarray(0, 4);
}

/** The first 4 bytes of `b` as a little-endian u32, as a frame header carries the checksum. */
function u32le(b: Uint8Array): number {
  return (
    ((b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16) | ((b[3] as number) << 24)) >>> 0
  );
}

const EMPTY_CHECKSUM_U32 = u32le(EMPTY_CHECKSUM);

/**
 * The checksum as the header's u32, for comparing without the subarray view `checksum`
 * allocates: the parser checks every frame of every session.
 */
export function checksumU32(payload: Uint8Array): number {
  return payload.length === 0 ? EMPTY_CHECKSUM_U32 : u32le(doubleSha256(payload));
}
