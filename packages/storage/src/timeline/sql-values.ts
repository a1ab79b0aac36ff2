/**
 * Values put into SQL text. ClickHouse 18.16 has no query parameters, so the timeline queries
 * only ever interpolate round ids checked against ROUND_ID (the crawl id pattern) and integers.
 */
export const ROUND_ID = /^[A-Za-z0-9._-]{1,64}$/;

export class TimelineQueryError extends Error {
  readonly code = 'TIMELINE_QUERY';
}

/** A round id as an SQL string literal; anything else than ROUND_ID is refused. */
export function roundLiteral(id: string): string {
  if (!ROUND_ID.test(id)) throw new TimelineQueryError(`refusing round id ${JSON.stringify(id)}`);
  return `'${id}'`;
}

/** A finite integer as SQL text. */
export function intLiteral(n: number): string {
  if (!Number.isSafeInteger(n)) throw new TimelineQueryError(`not an integer: ${n}`);
  return String(n);
}

export const num = (v: unknown): number => Number(v ?? 0);
