import { ProtocolError } from './errors.ts';
import { checksum } from './hash.ts';

/** Core's MAX_PROTOCOL_MESSAGE_LENGTH: a larger declared length drops the connection. */
export const MAX_MESSAGE_LENGTH = 4_000_000;
export const HEADER_LENGTH = 24;
export const COMMAND_LENGTH = 12;

/**
 * A byte allowed in a command before the NUL padding. Core accepts printable ASCII
 * including space (0x20..0x7e); the parser and the encoder share this one rule.
 */
export function isCommandByte(b: number): boolean {
  return b >= 0x20 && b <= 0x7e;
}

function isValidCommand(command: string): boolean {
  if (command.length > COMMAND_LENGTH) return false;
  for (let i = 0; i < command.length; i++) if (!isCommandByte(command.charCodeAt(i))) return false;
  return true;
}

/** Encodes one v1 frame: magic(4) | command(12, NUL-padded) | length(4 LE) | checksum(4) | payload. */
export function encodeFrame(magic: Uint8Array, command: string, payload: Uint8Array): Uint8Array {
  if (!isValidCommand(command)) {
    throw new ProtocolError(
      'BAD_COMMAND',
      `cannot encode command "${command}": 0-12 printable ASCII characters (0x20-0x7e)`,
    );
  }
  const out = new Uint8Array(HEADER_LENGTH + payload.length);
  out.set(magic, 0);
  for (let i = 0; i < command.length; i++) out[4 + i] = command.charCodeAt(i);
  new DataView(out.buffer).setUint32(16, payload.length, true);
  out.set(checksum(payload), 20);
  out.set(payload, HEADER_LENGTH);
  return out;
}
