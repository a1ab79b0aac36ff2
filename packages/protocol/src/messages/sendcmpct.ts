import { Reader } from '../reader.ts';
import { Writer } from '../writer.ts';

/** BIP152: whether to announce blocks with cmpctblock, and the compact block version. */
export interface SendCmpctMessage {
  command: 'sendcmpct';
  announce: boolean;
  version: bigint;
}

export function decodeSendCmpct(payload: Uint8Array): SendCmpctMessage {
  const r = new Reader(payload);
  // Core reads the flag as a bool: any nonzero byte is true.
  const announce = r.u8() !== 0;
  const version = r.u64le();
  // Bytes after the version are ignored, as Core ignores them.
  return { command: 'sendcmpct', announce, version };
}

export function encodeSendCmpct(m: SendCmpctMessage): Uint8Array {
  return new Writer(9)
    .u8(m.announce ? 1 : 0)
    .u64le(m.version)
    .finish();
}
