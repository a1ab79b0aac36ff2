import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Knob } from './knob.ts';
import { KNOBS } from './knobs.ts';
import { flagName } from './read.ts';
import { knobTable, README_BEGIN, README_END, withKnobTable } from './readme.ts';

const readme = readFileSync(path.resolve(import.meta.dirname, '../../../README.md'), 'utf8');

describe("the README's table of variables and flags", () => {
  it('is the one the knob definitions give (npm run readme -w @bitcrawl/config rewrites it)', () => {
    expect(readme).toContain(README_BEGIN);
    expect(readme).toContain(README_END);
    expect(withKnobTable(readme)).toBe(readme);
  });

  it('has a row per knob with its variable, flag, default and bounds (so a changed one fails the test above)', () => {
    const table = knobTable();
    for (const k of Object.values(KNOBS) as Knob[]) {
      const row = table
        .split('\n')
        .find((r) =>
          r.startsWith(`| ${k.env ? `\`${k.env}\`` : '-'} | ${k.flag ? `\`${flagName(k.flag)}\`` : '-'} |`),
        );
      expect(row, k.env ?? k.flag).toBeDefined();
      if (k.kind === 'int') expect(row).toContain(k.max === undefined ? `>= ${k.min}` : `${k.min}-${k.max}`);
      if (k.default !== undefined && !Array.isArray(k.default))
        expect(row).toContain(`\`${String(k.default)}\``);
    }
  });
});
