/** Renders query rows as an aligned text table, NDJSON, or CSV (RFC 4180 quoting). */
export function formatRows(rows: Record<string, unknown>[], format: 'table' | 'json' | 'csv'): string {
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const cols = rows.length > 0 ? Object.keys(rows[0] as object) : [];
  const cell = (v: unknown) =>
    v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (format === 'csv') {
    const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    return (
      [cols.map(q).join(','), ...rows.map((r) => cols.map((c) => q(cell(r[c]))).join(','))].join('\n') + '\n'
    );
  }
  if (rows.length === 0) return '(no rows)\n';
  const widths = cols.map((c) => Math.min(60, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const numeric = cols.map((c) => rows.every((r) => /^-?\d+(\.\d+)?$/.test(cell(r[c]))));
  const fit = (s: string, i: number) => {
    const w = widths[i] as number;
    const t = s.length > w ? `${s.slice(0, w - 1)}…` : s;
    return numeric[i] ? t.padStart(w) : t.padEnd(w);
  };
  const line = (vals: string[]) =>
    vals
      .map((v, i) => fit(v, i))
      .join('  ')
      .trimEnd();
  return (
    [
      line(cols),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
    ].join('\n') + `\n(${rows.length} rows)\n`
  );
}
