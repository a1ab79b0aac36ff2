import { ProtocolError } from './errors.ts';
import { encodeFrame } from './framer.ts';
import { type AddrMessage, decodeAddr, encodeAddr } from './messages/addr.ts';
import { type AddrV2Message, decodeAddrV2, encodeAddrV2 } from './messages/addrv2.ts';
import { decodeEmpty, type EmptyMessage } from './messages/empty.ts';
import { decodeFeeFilter, encodeFeeFilter, type FeeFilterMessage } from './messages/feefilter.ts';
import { decodePing, decodePong, encodeNonce, type PingMessage, type PongMessage } from './messages/ping.ts';
import { decodeSendCmpct, encodeSendCmpct, type SendCmpctMessage } from './messages/sendcmpct.ts';
import { decodeVersion, encodeVersion, type VersionMessage } from './messages/version.ts';

/** Any command we do not decode, passed through untouched (payload copied out of the frame). */
export interface UnknownMessage {
  command: 'unknown';
  /** The wire command. */
  name: string;
  payload: Uint8Array;
}

/** Every message, discriminated on `command`. */
export type Message =
  | VersionMessage
  | EmptyMessage
  | PingMessage
  | PongMessage
  | AddrMessage
  | AddrV2Message
  | SendCmpctMessage
  | FeeFilterMessage
  | UnknownMessage;

export type Command = Message['command'];

/**
 * Decodes a frame's payload by its command. Throws ProtocolError: TRUNCATED/MALFORMED for
 * bad payloads, TOO_MANY_ENTRIES for oversized addr/addrv2 (which callers may ignore).
 */
export function decodeMessage(frame: { command: string; payload: Uint8Array }): Message {
  const { command, payload } = frame;
  switch (command) {
    case 'version':
      return decodeVersion(payload);
    case 'verack':
    case 'getaddr':
    case 'sendaddrv2':
    case 'wtxidrelay':
    case 'sendheaders':
      return decodeEmpty(command, payload);
    case 'ping':
      return decodePing(payload);
    case 'pong':
      return decodePong(payload);
    case 'addr':
      return decodeAddr(payload);
    case 'addrv2':
      return decodeAddrV2(payload);
    case 'sendcmpct':
      return decodeSendCmpct(payload);
    case 'feefilter':
      return decodeFeeFilter(payload);
    default:
      // Copy: the frame payload may be a view into a whole socket chunk, which a kept
      // message would otherwise pin in memory.
      return { command: 'unknown', name: command, payload: new Uint8Array(payload) };
  }
}

/** Wire command and payload for a message. */
export function encodeMessage(msg: Message): { command: string; payload: Uint8Array } {
  switch (msg.command) {
    case 'version':
      return { command: 'version', payload: encodeVersion(msg) };
    case 'verack':
    case 'getaddr':
    case 'sendaddrv2':
    case 'wtxidrelay':
    case 'sendheaders':
      return { command: msg.command, payload: new Uint8Array(0) };
    case 'ping':
    case 'pong':
      return { command: msg.command, payload: encodeNonce(msg) };
    case 'addr':
      return { command: 'addr', payload: encodeAddr(msg) };
    case 'addrv2':
      return { command: 'addrv2', payload: encodeAddrV2(msg) };
    case 'sendcmpct':
      return { command: 'sendcmpct', payload: encodeSendCmpct(msg) };
    case 'feefilter':
      return { command: 'feefilter', payload: encodeFeeFilter(msg) };
    case 'unknown':
      return { command: msg.name, payload: msg.payload };
    default:
      throw new ProtocolError('BAD_COMMAND', `cannot encode ${JSON.stringify(msg)}`);
  }
}

export function encodeMessageFrame(magic: Uint8Array, msg: Message): Uint8Array {
  const { command, payload } = encodeMessage(msg);
  return encodeFrame(magic, command, payload);
}
