import { ConfigError } from '@bitcrawl/model';

export type GeoDbErrorCode =
  /** The file cannot be opened or read (missing, permissions, not gzip though it says so). */
  | 'GEO_DB_UNREADABLE'
  /** A line is not `start<TAB>end<TAB>asn<TAB>country<TAB>description`. */
  | 'GEO_DB_MALFORMED'
  /** A line is longer than MAX_LINE_BYTES (a binary or wrong file, most likely). */
  | 'GEO_DB_LINE_TOO_LONG'
  /** Two ranges of the same family overlap, so a lookup would be ambiguous. */
  | 'GEO_DB_OVERLAP'
  /** The file holds no routed range at all: almost certainly the wrong file. */
  | 'GEO_DB_EMPTY'
  /** The cloud ASN extension file is not a JSON object of "<asn>": "<provider>". */
  | 'CLOUD_ASNS_INVALID';

/** A problem with a user-supplied database file; `file` and `line` (1-based) say where. */
export class GeoDbError extends ConfigError {
  readonly code: GeoDbErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  constructor(code: GeoDbErrorCode, message: string, where: { file?: string; line?: number } = {}) {
    const at = where.file ? `${where.file}${where.line ? `:${where.line}` : ''}: ` : '';
    super(`${at}${message}`);
    this.code = code;
    this.file = where.file;
    this.line = where.line;
  }
}

export const isGeoDbError = (err: unknown): err is GeoDbError => err instanceof GeoDbError;
