import { describe, expect, it } from 'vitest';
import { generate } from './generate.ts';
import { simnetSpecSchema } from './spec.ts';

describe('advertised address times', () => {
  const base = { seed: 5, nodes: 120, kinds: { core: 1 }, table: { min: 20, max: 40 } };

  it('with recentAddrTimesAt lie 0-12 h or 36-48 h before it, on the wire as in the truth', () => {
    const at = 1_800_000_000;
    const plan = generate(simnetSpecSchema.parse({ ...base, recentAddrTimesAt: at }));
    const ages: number[] = [];
    for (const n of plan.nodes) {
      const wire = n.answer.map((a) => a.time);
      expect(n.truth.answer.map((a) => a.time)).toEqual(wire);
      for (const t of wire) ages.push(at - t);
    }
    expect(ages.length).toBeGreaterThan(500);
    for (const age of ages)
      expect((age >= 0 && age <= 43_200) || (age >= 129_600 && age <= 172_800)).toBe(true);
    // Both sides of the 24 h cut, about half each.
    const recent = ages.filter((a) => a <= 86_400).length / ages.length;
    expect(recent).toBeGreaterThan(0.4);
    expect(recent).toBeLessThan(0.6);
  });

  it('without it are the fixed 2023 times', () => {
    const plan = generate(simnetSpecSchema.parse(base));
    for (const n of plan.nodes)
      for (const a of n.answer) {
        expect(a.time).toBeGreaterThanOrEqual(1_700_000_000);
        expect(a.time).toBeLessThanOrEqual(1_710_000_000);
      }
  });
});
