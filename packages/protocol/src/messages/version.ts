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
  /** This and the next three are VERSION_DEFAULTS' values when a short message left them out. */
  addrFrom: NetAddrField;
  nonce: bigint;
  userAgent: string;
  startHeight: number;
  /** BIP37 relay flag; absent in old or minimal messages, which Core accepts. */
  relay?: boolean;
}

/**
 * What Core assumes for fields a version message ends before: it reads addrFrom+nonce,
 * the user agent and the start height each only if bytes remain. A nonce of 1 and a
 * height of -1 are Core's own defaults; addrFrom is ignored by Core and left unspecified.
 */
export const VERSION_DEFAULTS = {
  addrFrom: { services: 0n, network: 'ipv6', host: '::', port: 0 },
  nonce: 1n,
  userAgent: '',
  startHeight: -1,
} as const satisfies Partial<VersionMessage>;

/**
 * A version message as a current Bitcoin Core node sends it (protocol 70016, NODE_NETWORK |
 * NODE_WITNESS | NODE_NETWORK_LIMITED, /Satoshi:31.0.0/), with `fields` replacing any of it: the
 * one place simulated peers, benches and tests build theirs from.
 */
export function coreVersion(fields: Partial<Omit<VersionMessage, 'command'>> = {}): VersionMessage {
  return {
    command: 'version',
    version: 70016,
    services: 0xc09n,
    timestamp: BigInt(Math.floor(Date.now() / 1000)),
    addrRecv: { services: 0n, network: 'ipv6', host: '::', port: 0 },
    addrFrom: { services: 0n, network: 'ipv6', host: '::', port: 0 },
    nonce: 1n,
    userAgent: '/Satoshi:31.0.0/',
    startHeight: 1,
    relay: true,
    ...fields,
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Accepts every prefix Core accepts: the message may end after addrRecv, after
 * addrFrom+nonce, after the user agent or after the start height (a crawler still wants
 * to record such peers). Ending inside a field is TRUNCATED.
 */
export function decodeVersion(payload: Uint8Array): VersionMessage {
  const r = new Reader(payload);
  const msg: VersionMessage = {
    command: 'version',
    version: r.i32le(),
    services: r.u64le(),
    timestamp: r.i64le(),
    addrRecv: readNetAddr(r),
    addrFrom: { ...VERSION_DEFAULTS.addrFrom },
    nonce: VERSION_DEFAULTS.nonce,
    userAgent: VERSION_DEFAULTS.userAgent,
    startHeight: VERSION_DEFAULTS.startHeight,
  };
  if (r.remaining > 0) {
    msg.addrFrom = readNetAddr(r);
    msg.nonce = r.u64le();
  }
  if (r.remaining > 0) msg.userAgent = utf8.decode(r.bytes(r.varint(MAX_USER_AGENT_LENGTH)));
  if (r.remaining > 0) msg.startHeight = r.i32le();
  // Core reads relay as a bool: any nonzero byte is true.
  if (r.remaining > 0) msg.relay = r.u8() !== 0;
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
