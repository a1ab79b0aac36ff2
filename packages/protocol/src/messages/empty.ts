/** Messages whose payload is empty. */
export const EMPTY_COMMANDS = ['verack', 'getaddr', 'sendaddrv2', 'wtxidrelay', 'sendheaders'] as const;
export type EmptyCommand = (typeof EMPTY_COMMANDS)[number];

export interface EmptyMessage<C extends EmptyCommand = EmptyCommand> {
  command: C;
}

/** Core reads nothing from these and ignores any payload they carry; so do we. */
export function decodeEmpty<C extends EmptyCommand>(command: C, _payload: Uint8Array): EmptyMessage<C> {
  return { command };
}
