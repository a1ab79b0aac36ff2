import { ProtocolError } from '../errors.ts';
import { Reader } from '../reader.ts';
import { Writer } from '../writer.ts';
import { type NetAddrField, readNetAddr, writeNetAddr } from './netaddr.ts';

/** Core's MAX_SUBVERSION_LENGTH. */
export const MAX_USER_AGENT_LENGTH = 256;

export interface VersionMessage {
  command: 'version';
  version: number;
  services: bigint;
  /** Sender's clock, Unix seconds (int64). */
  timestamp: bigint;
  addrRecv: NetAddrField;
  addrFrom: NetAddrField;
  nonce: bigint;
  userAgent: string;
  startHeight: number;
  /** BIP37 relay flag; absent in old or minimal messages, which Core accepts. */
  relay?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function decodeVersion(payload: Uint8Array): VersionMessage {
  const r = new Reader(payload);
  const version = r.i32le();
  const services = r.u64le();
  const timestamp = r.i64le();
  const addrRecv = readNetAddr(r);
  const addrFrom = readNetAddr(r);
  const nonce = r.u64le();
  const uaLength = r.varint(MAX_USER_AGENT_LENGTH);
  const userAgent = utf8.decode(r.bytes(uaLength));
  const startHeight = r.i32le();
  const msg: VersionMessage = {
    command: 'version',
    version,
    services,
    timestamp,
    addrRecv,
    addrFrom,
    nonce,
    userAgent,
    startHeight,
  };
  if (r.remaining > 0) {
    const relay = r.u8();
    if (relay > 1) throw new ProtocolError('MALFORMED', `version relay flag must be 0 or 1, got ${relay}`);
    msg.relay = relay === 1;
  }
  // Core ignores bytes after relay (future fields); so do we.
  return msg;
}

export function encodeVersion(m: VersionMessage): Uint8Array {
  const ua = new TextEncoder().encode(m.userAgent);
  if (ua.length > MAX_USER_AGENT_LENGTH)
    throw new ProtocolError('MALFORMED', 'user agent longer than 256 bytes');
  const w = new Writer(128);
  w.i32le(m.version).u64le(m.services).i64le(m.timestamp);
  writeNetAddr(w, m.addrRecv);
  writeNetAddr(w, m.addrFrom);
  w.u64le(m.nonce).varint(ua.length).bytes(ua).i32le(m.startHeight);
  if (m.relay !== undefined) w.u8(m.relay ? 1 : 0);
  return w.finish();
}
