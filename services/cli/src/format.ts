/** Escapes for the control characters a table cell must not print raw. */
const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A cell's text fit for a terminal: C0/C1 controls, DEL, line/paragraph separators and bidi
 * overrides become visible escapes. Values such as a user agent are whatever a peer sent, and a
 * raw newline or escape sequence would let it print fake rows or restyle the terminal.
 */
export function printable(s: string): string {
  return s.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => NAMED_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Renders query rows as an aligned text table (control characters escaped, see printable),
 * NDJSON, or CSV (RFC 4180 quoting; values kept as they are).
 */
export function formatRows(rows: Record<string, unknown>[], format: 'table' | 'json' | 'csv'): string {
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const cols = rows.length > 0 ? Object.keys(rows[0] as object) : [];
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (format === 'csv') {
    const q = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    return (
      [cols.map(q).join(','), ...rows.map((r) => cols.map((c) => q(cell(r[c]))).join(','))].join('\n') + '\n'
    );
  }
  if (rows.length === 0) return '(no rows)\n';
  const text = (v: unknown) => printable(cell(v));
  // Columns are as wide as their widest value: a value is never cut (a 62-character onion host,
  // an I2P name or a user agent is only useful whole).
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => text(r[c]).length)));
  const numeric = cols.map((c) => rows.every((r) => /^-?\d+(\.\d+)?$/.test(text(r[c]))));
  const fit = (s: string, i: number) => {
    const w = widths[i] as number;
    return numeric[i] ? s.padStart(w) : s.padEnd(w);
  };
  const line = (vals: string[]) =>
    vals
      .map((v, i) => fit(v, i))
      .join('  ')
      .trimEnd();
  return (
    [
      line(cols.map(printable)),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...rows.map((r) => line(cols.map((c) => text(r[c])))),
    ].join('\n') + `\n(${rows.length} rows)\n`
  );
}
