import type { GeoRange } from './table.ts';

/**
 * Real range files overlap: a more specific range is published inside a wider one, or two
 * sources disagree at a boundary. This cuts sorted ranges of one family into disjoint pieces
 * where, at every address, the range that started last (the innermost, for nested ranges) wins,
 * the way a longest-prefix match would answer. Returns the pieces (still sorted) and how many
 * input ranges overlapped another.
 */
export function flattenRanges<R extends GeoRange>(sorted: readonly R[]): { ranges: R[]; overlaps: number } {
  if (sorted.length === 0) return { ranges: [], overlaps: 0 };
  const one = (typeof sorted[0]?.start === 'bigint' ? 1n : 1) as R['start'];
  const add = (a: R['start'], b: R['start']) => ((a as number) + (b as number)) as R['start'];
  const sub = (a: R['start'], b: R['start']) => ((a as number) - (b as number)) as R['start'];
  const out: R[] = [];
  const stack: R[] = [];
  let overlaps = 0;
  let cursor = sorted[0]?.start as R['start'];
  const emitUntil = (limit: R['start'] | undefined) => {
    // Emit the stack's ranges from cursor up to limit - 1 (or to their ends), innermost first.
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as R;
      if (top.end < cursor) {
        stack.pop();
        continue;
      }
      if (limit !== undefined && cursor >= limit) return;
      const end = limit !== undefined && top.end >= limit ? sub(limit, one) : top.end;
      out.push({ ...top, start: cursor, end });
      cursor = add(end, one);
      if (top.end <= end) stack.pop();
    }
  };
  for (const r of sorted) {
    emitUntil(r.start);
    if (stack.length > 0) overlaps++;
    stack.push(r);
    if (cursor < r.start || stack.length === 1) cursor = r.start;
  }
  emitUntil(undefined);
  return { ranges: out, overlaps };
}
