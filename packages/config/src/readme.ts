import { defaultFor, type Knob, type Use, usedBy } from './knob.ts';
import { KNOBS } from './knobs.ts';
import { flagName } from './read.ts';

export const README_BEGIN =
  '<!-- knobs: generated from packages/config (npm run readme -w @bitcrawl/config) -->';
export const README_END = '<!-- /knobs -->';

const code = (s: string) => `\`${s}\``;
const shown = (v: unknown) =>
  v === undefined ? '-' : Array.isArray(v) ? (v.length ? code(v.join(',')) : "`''`") : code(String(v));

function defaults(k: Knob): string {
  const uses = Object.keys(k.uses) as Use[];
  const required = uses.filter((u) => usedBy(k, u)?.required);
  if (required.length > 0) {
    const optional = uses.filter((u) => !usedBy(k, u)?.required);
    const own = optional.map((u) => `${u}: ${shown(defaultFor(k, u))}`);
    return [`(required: ${required.join(', ')})`, ...own].join('; ');
  }
  const base = shown(k.default);
  const own = uses
    .filter((u) => defaultFor(k, u) !== k.default)
    .map((u) => `${u}: ${shown(defaultFor(k, u))}`);
  return own.length ? `${base} (${own.join(', ')})` : base;
}

function bounds(k: Knob): string {
  if (k.kind === 'int' || k.kind === 'decimal')
    return k.max === undefined ? `>= ${k.min}` : `${k.min}-${k.max}`;
  if (k.kind === 'enum') return (k.choices ?? []).map(code).join(', ');
  if (k.kind === 'bool') return '`true`, `false`';
  if (k.kind === 'list') return 'list';
  return '';
}

function usesOf(k: Knob): string {
  return (Object.keys(k.uses) as Use[])
    .map((u) => (usedBy(k, u)?.env && k.env ? `${u} (flag or variable)` : u))
    .join(', ');
}

/** The README's table of every knob: variable, flag, default, bounds, who uses it, what it does. */
export function knobTable(): string {
  const rows = (Object.values(KNOBS) as Knob[]).map((k) =>
    [
      k.env ? code(k.env) : '-',
      k.flag ? code(flagName(k.flag)) : '-',
      defaults(k),
      bounds(k),
      usesOf(k),
      k.help.replaceAll('|', '\\|'),
    ].join(' | '),
  );
  return [
    '| variable | flag | default | bounds | used by | what |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r} |`),
  ].join('\n');
}

/** The README with its knob table replaced by the one the definitions give. */
export function withKnobTable(readme: string): string {
  const start = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README has no ${README_BEGIN} ... ${README_END} section`);
  return `${readme.slice(0, start + README_BEGIN.length)}\n${knobTable()}\n${readme.slice(end)}`;
}
