import type { Section } from './report.ts';

/** `part` as a percentage of `whole` with one decimal ('-' when there is no whole). */
export const pct = (part: number, whole: number) =>
  whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-';

/** Reachable nodes by country, each with its share of `total` (GeoIP/ASN or MMDB answers alike). */
export function countrySection(
  key: string,
  title: string,
  countries: readonly { country: string; nodes: number }[],
  total: number,
): Section {
  return {
    key,
    title,
    rows: countries.map((c) => ({
      country: c.country || '(no data)',
      nodes: c.nodes,
      share: pct(c.nodes, total),
    })),
  };
}
