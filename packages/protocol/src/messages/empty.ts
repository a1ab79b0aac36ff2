import { ProtocolError } from '../errors.ts';

/** Messages whose payload is empty. */
export const EMPTY_COMMANDS = ['verack', 'getaddr', 'sendaddrv2', 'wtxidrelay', 'sendheaders'] as const;
export type EmptyCommand = (typeof EMPTY_COMMANDS)[number];

export interface EmptyMessage<C extends EmptyCommand = EmptyCommand> {
  command: C;
}

export function decodeEmpty<C extends EmptyCommand>(command: C, payload: Uint8Array): EmptyMessage<C> {
  // Core ignores trailing bytes on these, but a payload here means a confused or hostile peer.
  if (payload.length !== 0) throw new ProtocolError('MALFORMED', `${command} must have an empty payload`);
  return { command };
}
