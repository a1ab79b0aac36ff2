import { Reader } from '../reader.ts';
import { Writer } from '../writer.ts';

export interface PingMessage {
  command: 'ping';
  nonce: bigint;
}
export interface PongMessage {
  command: 'pong';
  nonce: bigint;
}

export function decodePing(payload: Uint8Array): PingMessage {
  const r = new Reader(payload);
  const nonce = r.u64le();
  // Core reads the nonce and ignores what follows; so do we.
  return { command: 'ping', nonce };
}

export function decodePong(payload: Uint8Array): PongMessage {
  const r = new Reader(payload);
  const nonce = r.u64le();
  return { command: 'pong', nonce };
}

export function encodeNonce(m: { nonce: bigint }): Uint8Array {
  return new Writer(8).u64le(m.nonce).finish();
}
