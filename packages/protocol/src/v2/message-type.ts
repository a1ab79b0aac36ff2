import { ProtocolError } from '../errors.ts';
import { COMMAND_LENGTH, isCommandByte } from '../framer.ts';

/**
 * BIP324's one-byte message type ids (index = id; id 0 means a 12-byte command follows). Ids
 * past 28 are only proposed (bip-0324/message_type_ids.md), so Core sends those commands in
 * the 12-byte form and so do we; a short id we do not know passes through as `v2:<id>`.
 */
export const SHORT_IDS: readonly string[] = [
  '',
  'addr',
  'block',
  'blocktxn',
  'cmpctblock',
  'feefilter',
  'filteradd',
  'filterclear',
  'filterload',
  'getblocks',
  'getblocktxn',
  'getdata',
  'getheaders',
  'headers',
  'inv',
  'mempool',
  'merkleblock',
  'notfound',
  'ping',
  'pong',
  'sendcmpct',
  'tx',
  'getcfilters',
  'cfilter',
  'getcfheaders',
  'cfheaders',
  'getcfcheckpt',
  'cfcheckpt',
  'addrv2',
];

const ID_OF = new Map(SHORT_IDS.map((c, i) => [c, i]).filter(([, i]) => i !== 0) as [string, number][]);

/** The v2 contents for a message: its short id or 0 + the NUL-padded command, then the payload. */
export function encodeContents(command: string, payload: Uint8Array): Uint8Array {
  const id = ID_OF.get(command);
  if (id !== undefined) {
    const out = new Uint8Array(1 + payload.length);
    out[0] = id;
    out.set(payload, 1);
    return out;
  }
  if (command.length < 1 || command.length > COMMAND_LENGTH) {
    throw new ProtocolError('BAD_COMMAND', `cannot encode command "${command}": 1-12 characters`);
  }
  const out = new Uint8Array(1 + COMMAND_LENGTH + payload.length);
  for (let i = 0; i < command.length; i++) {
    const b = command.charCodeAt(i);
    if (!isCommandByte(b)) throw new ProtocolError('BAD_COMMAND', `cannot encode command "${command}"`);
    out[1 + i] = b;
  }
  out.set(payload, 1 + COMMAND_LENGTH);
  return out;
}

/** The command and payload (a view into `contents`) of a v2 packet's contents. */
export function decodeContents(
  contents: Uint8Array,
  offset: number,
): { command: string; payload: Uint8Array } {
  if (contents.length === 0) throw new ProtocolError('MALFORMED', 'v2 packet without a message type', offset);
  const id = contents[0] as number;
  if (id !== 0) return { command: SHORT_IDS[id] ?? `v2:${id}`, payload: contents.subarray(1) };
  if (contents.length < 1 + COMMAND_LENGTH) {
    throw new ProtocolError('MALFORMED', 'v2 packet shorter than its 12-byte message type', offset);
  }
  let end = 1 + COMMAND_LENGTH;
  for (let i = 1; i <= COMMAND_LENGTH; i++) {
    if (contents[i] === 0) {
      end = i;
      break;
    }
  }
  for (let i = 1; i <= COMMAND_LENGTH; i++) {
    const b = contents[i] as number;
    if (i < end ? !isCommandByte(b) : b !== 0) {
      throw new ProtocolError(
        'BAD_COMMAND',
        'command must be printable ASCII, NUL-padded with nothing after the first NUL',
        offset,
      );
    }
  }
  if (end === 1) throw new ProtocolError('BAD_COMMAND', 'empty command', offset);
  return {
    command: String.fromCharCode(...contents.subarray(1, end)),
    payload: contents.subarray(1 + COMMAND_LENGTH),
  };
}
