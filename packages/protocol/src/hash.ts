import { createHash } from 'node:crypto';

export function sha256(data: Uint8Array): Uint8Array {
  return createHash('sha256').update(data).digest();
}

export function doubleSha256(data: Uint8Array): Uint8Array {
  return sha256(sha256(data));
}

/** The frame checksum: the first 4 bytes of double SHA-256 of the payload. */
export function checksum(payload: Uint8Array): Uint8Array {
  return doubleSha256(payload).subarray(0, 4);
}
