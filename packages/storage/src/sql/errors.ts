/** A query's parameters do not fit its placeholders: a bug in the caller, never sent to a server. */
export class SqlParamError extends Error {
  readonly code = 'SQL_PARAM';
}
