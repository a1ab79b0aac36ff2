export type ProtocolErrorCode =
  | 'BAD_MAGIC'
  | 'BAD_CHECKSUM'
  | 'OVERSIZED'
  | 'BAD_COMMAND'
  | 'TRUNCATED'
  | 'MALFORMED'
  | 'TOO_MANY_ENTRIES'
  | 'BAD_ADDRESS'
  /** v2 (BIP324): a packet whose Poly1305 tag does not match (wrong key, tampering, or not v2). */
  | 'BAD_MAC'
  /** v2: no garbage terminator within the 4095 garbage bytes BIP324 allows. */
  | 'NO_GARBAGE_TERMINATOR';

/** Every failure to read peer bytes or user-given addresses; `code` is what callers branch on. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    /** Byte offset in the stream where the bad frame starts, when known. */
    readonly offset?: number,
  ) {
    super(message);
  }
}
