/**
 * ClickHouse error codes that mean "this data cannot be stored as sent": retrying the same
 * rows fails the same way forever, so the ingester sets such rows aside (dead letters) instead
 * of retrying. Everything else (server down, timeouts, a missing table, memory, too many
 * parts ...) may pass later and is retried.
 */
const DATA_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  25, // CANNOT_PARSE_ESCAPE_SEQUENCE (e.g. half of a surrogate pair)
  26, // CANNOT_PARSE_QUOTED_STRING
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  32, // ATTEMPT_TO_READ_AFTER_EOF
  33, // CANNOT_READ_ALL_DATA (RowBinary shorter than its rows)
  38, // CANNOT_PARSE_DATE
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
  131, // TOO_LARGE_STRING_SIZE
  321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
  691, // UNKNOWN_ELEMENT_OF_ENUM
]);

/**
 * The ClickHouse error code of `err`: the client's ClickHouseError carries it in `code`
 * (chdb, current servers); ClickHouse 18.16 over HTTP only says "Code: 25, ..." in the message.
 */
export function clickhouseErrorCode(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const m = /^Code: (\d+)\b/.exec(err.message);
  return m ? Number(m[1]) : undefined;
}

/** True when ClickHouse refused the rows themselves (see DATA_ERROR_CODES). */
export function isRejectedData(err: unknown): boolean {
  const code = clickhouseErrorCode(err);
  return code !== undefined && DATA_ERROR_CODES.has(code);
}
