import { GeoDbError } from './errors.ts';
import { parseIPv4, parseIPv6 } from './ip.ts';
import type { GeoRange } from './table.ts';

/** Longer lines are refused: the longest real ip2asn line is well under 300 bytes. */
export const MAX_LINE_BYTES = 1024;

/**
 * One line of iptoasn.com's ip2asn-combined.tsv:
 * `range_start<TAB>range_end<TAB>AS_number<TAB>country_code<TAB>AS_description`.
 * Returns the range, or null for "no data" (AS 0, "Not routed"). Throws GEO_DB_MALFORMED.
 */
export function parseLine(text: string, line: number, file?: string): GeoRange | null {
  const bad = (why: string): never => {
    throw new GeoDbError('GEO_DB_MALFORMED', `${why}: ${JSON.stringify(text.slice(0, 120))}`, {
      ...(file ? { file } : {}),
      line,
    });
  };
  const f = text.split('\t');
  if (f.length !== 5) bad(`expected 5 tab-separated fields, got ${f.length}`);
  const [startText, endText, asnText, countryText, org] = f as [string, string, string, string, string];
  if (!/^\d{1,10}$/.test(asnText) || Number(asnText) > 0xffff_ffff) bad(`bad AS number "${asnText}"`);
  const asn = Number(asnText);
  // iptoasn writes "None" (and has written "Unknown") where it has no country.
  const country = /^(None|Unknown|)$/.test(countryText) ? '' : countryText.toUpperCase();
  if (country !== '' && !/^[A-Z]{2}$/.test(country)) bad(`bad country code "${countryText}"`);
  const v4s = parseIPv4(startText);
  if (v4s !== undefined) {
    const v4e = parseIPv4(endText);
    if (v4e === undefined) bad(`bad IPv4 range end "${endText}"`);
    if ((v4e as number) < v4s) bad('range end is before its start');
    if (asn === 0) return null;
    return { family: 4, start: v4s, end: v4e as number, info: { asn, asOrg: org.trim(), country }, line };
  }
  const v6s = parseIPv6(startText);
  if (v6s === undefined) bad(`bad range start "${startText}"`);
  const v6e = parseIPv6(endText);
  if (v6e === undefined) bad(`bad IPv6 range end "${endText}"`);
  if ((v6e as bigint) < (v6s as bigint)) bad('range end is before its start');
  if (asn === 0) return null;
  return {
    family: 6,
    start: v6s as bigint,
    end: v6e as bigint,
    info: { asn, asOrg: org.trim(), country },
    line,
  };
}

/** A line the reader could not use; `text` is cut at MAX_LINE_BYTES. */
export type RawLine = { line: number; text: string } | { line: number; tooLong: true };

/**
 * Splits a byte stream into lines, holding at most MAX_LINE_BYTES of one line in memory: a
 * longer line is reported as `tooLong` (its rest is skipped up to the next newline).
 */
export async function* splitLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<RawLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overlong = false;
  let line = 0;
  const finish = (last: Buffer): RawLine => {
    line++;
    if (overlong) return { line, tooLong: true };
    const buf = pending.length ? Buffer.concat([...pending, last]) : last;
    let text = buf.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    return { line, text };
  };
  for await (const chunk of chunks) {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      const piece = chunk.subarray(from, nl < 0 ? chunk.length : nl);
      if (!overlong && pendingBytes + piece.length > MAX_LINE_BYTES + 1) {
        overlong = true; // + 1: room for a CR before the LF
        pending = [];
        pendingBytes = 0;
      }
      if (nl < 0) {
        if (!overlong && piece.length > 0) {
          pending.push(Buffer.from(piece)); // copy: the stream may reuse its chunk
          pendingBytes += piece.length;
        }
        break;
      }
      yield finish(piece);
      pending = [];
      pendingBytes = 0;
      overlong = false;
      from = nl + 1;
    }
  }
  if (pendingBytes > 0 || overlong) yield finish(Buffer.alloc(0));
}

/** Splits one CSV line (RFC 4180 quoting); undefined when a quote is left open. */
export function splitCsvLine(text: string): string[] | undefined {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) return undefined;
  out.push(field);
  return out;
}

/**
 * One line of ip-location-db's ASN CSV (asn-ipv4.csv, asn-ipv6.csv):
 * `range_start,range_end,AS_number,AS_organization` (the organization quoted when it holds a
 * comma). It has no country. Returns null for AS 0. Throws GEO_DB_MALFORMED.
 */
export function parseAsnCsvLine(text: string, line: number, file?: string): GeoRange | null {
  const bad = (why: string): never => {
    throw new GeoDbError('GEO_DB_MALFORMED', `${why}: ${JSON.stringify(text.slice(0, 120))}`, {
      ...(file ? { file } : {}),
      line,
    });
  };
  const f = splitCsvLine(text);
  if (!f || f.length !== 4) bad(`expected 4 comma-separated fields, got ${f?.length ?? 'an open quote'}`);
  const [startText, endText, asnText, org] = f as [string, string, string, string];
  if (/^\d+$/.test(startText) && /^\d+$/.test(endText))
    bad('numeric range bounds (the -num files): use asn-ipv4.csv / asn-ipv6.csv, whose bounds are addresses');
  return parseLine([startText, endText, asnText, '', org].join('\t'), line, file);
}
