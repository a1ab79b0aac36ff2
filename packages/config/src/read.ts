import { type Command, Option } from 'commander';
import { z } from 'zod';
import { defaultFor, type Knob, SERVICE_USES, type Use, usedBy } from './knob.ts';
import { KNOBS, type KnobKey, knobsOf, type Values } from './knobs.ts';

type Env = Readonly<Record<string, string | undefined>>;
type Issue = z.core.$ZodRawIssue;

const isService = (use: Use) => (SERVICE_USES as readonly Use[]).includes(use);

/** The option attribute commander stores a flag's value under ('--no-dns' -> 'dns'). */
export function flagAttribute(flag: string): string {
  return new Option(flag).attributeName();
}

/** The flag's name alone ('--concurrency <n>' -> '--concurrency'). */
export function flagName(flag: string): string {
  return flag.split(/[ =]/)[0] as string;
}

/** Parses one knob's text (or a repeated flag's values); a missing value takes the use's default. */
function readOne(
  k: Knob,
  use: Use,
  raw: string | string[] | undefined,
  name: string,
  issues: Issue[],
): unknown {
  if (raw === undefined) {
    if (usedBy(k, use)?.required)
      issues.push({
        code: 'invalid_type',
        expected: 'string',
        input: undefined,
        path: [name],
        message: 'Invalid input: expected string, received undefined',
      });
    return defaultFor(k, use);
  }
  const schema = Array.isArray(raw) && k.parseItems ? k.parseItems : k.parse;
  const text = Array.isArray(raw) && !k.parseItems ? raw[raw.length - 1] : raw;
  const r = schema.safeParse(text);
  if (r.success) return r.data;
  for (const i of r.error.issues) issues.push({ ...i, path: [name, ...i.path] } as Issue);
  return undefined;
}

function done<U extends Use>(values: Record<string, unknown>, issues: Issue[]): Values<U> {
  if (issues.length > 0) throw new z.ZodError(issues as z.core.$ZodIssue[]);
  return values as Values<U>;
}

/**
 * A service's configuration from its environment, as its main.ts reads it once: every knob of
 * `use`, a variable set to '' counting as unset (docker-compose passes `${VAR:-}` so), and every
 * bad value reported at once under its variable's name (a ZodError).
 */
/**
 * Variables that were renamed: a deployment's old .env would otherwise be ignored without a word
 * (RESEED_EVERY_MS ran rounds every 6 h; its successor's default is 30 min).
 */
const RENAMED: Record<string, string> = { RESEED_EVERY_MS: 'ROUND_INTERVAL_MS' };

export function fromEnv<U extends Use>(use: U, env: Env): Values<U> {
  const values: Record<string, unknown> = {};
  const issues: Issue[] = [];
  for (const [old, now] of Object.entries(RENAMED))
    if (env[old] !== undefined && env[old] !== '')
      issues.push({
        code: 'custom',
        path: [old],
        message: `${old} was renamed to ${now}: set ${now} instead (and remove ${old})`,
        input: env[old],
      });
  for (const [key, k] of knobsOf(use)) {
    const raw = k.env ? env[k.env] : undefined;
    values[key] = readOne(k, use, raw === '' ? undefined : raw, k.env ?? key, issues);
  }
  return done<U>(values, issues);
}

/** The value a flag was given, as text (undefined when not given). */
function flagText(k: Knob, opts: Record<string, unknown>): string | string[] | undefined {
  if (!k.flag) return undefined;
  const negated = flagName(k.flag).startsWith('--no-');
  for (const f of [k.flag, ...(k.aliases ?? [])]) {
    const v = opts[flagAttribute(f)];
    if (v === undefined || v === '') continue;
    // commander sets a '--no-' flag's value true when it is absent: only false was given.
    if (negated) return v === false ? 'false' : undefined;
    if (typeof v === 'boolean') return v ? 'true' : undefined;
    if (Array.isArray(v)) return v.map(String);
    return String(v);
  }
  return undefined;
}

/**
 * A command's configuration from its flags: a flag beats its variable (read only where the use
 * says so, or for a service's command), which beats the default. Errors name the flag (and the
 * variable a value may also come from).
 */
export function fromFlags<U extends Use>(use: U, opts: Record<string, unknown>, env: Env = {}): Values<U> {
  const values: Record<string, unknown> = {};
  const issues: Issue[] = [];
  for (const [key, k] of knobsOf(use)) {
    const readsEnv = k.env !== undefined && (isService(use) || usedBy(k, use)?.env === true);
    let raw = flagText(k, opts);
    if (raw === undefined && readsEnv) raw = env[k.env as string] || undefined;
    const name = k.flag ? `${flagName(k.flag)}${readsEnv ? ` (or ${k.env})` : ''}` : (k.env ?? key);
    values[key] = readOne(k, use, raw, name, issues);
  }
  return done<U>(values, issues);
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function describeDefault(k: Knob, use: Use): string {
  const d = defaultFor(k, use);
  if (d === undefined || k.kind === 'bool' || (Array.isArray(d) && d.length === 0)) return '';
  return ` (default: ${Array.isArray(d) ? d.join(',') : String(d)})`;
}

/** Adds the flag of every knob `use` reads to a commander command. */
export function addFlags(cmd: Command, use: Use): Command {
  const mine = knobsOf(use);
  for (const [, k] of mine) {
    if (!k.flag) continue;
    const readsEnv = k.env !== undefined && (isService(use) || usedBy(k, use)?.env === true);
    const help = `${k.help}${describeDefault(k, use)}${readsEnv ? ` (env: ${k.env})` : ''}`;
    const option = new Option(k.flag, help);
    if (k.kind === 'list') option.argParser(collect);
    const conflicting = [k.conflicts ?? []].flat().flatMap((key) => {
      const other = KNOBS[key as KnobKey] as Knob | undefined;
      return other?.flag && use in other.uses ? [flagAttribute(other.flag)] : [];
    });
    if (conflicting.length > 0) option.conflicts(conflicting);
    cmd.addOption(option);
    for (const alias of k.aliases ?? [])
      cmd.addOption(new Option(alias, `same as ${flagName(k.flag)}`).hideHelp());
  }
  return cmd;
}

/** A knob's value as its variable's text (lists comma-separated). */
export function envText(v: unknown): string {
  return Array.isArray(v) ? v.join(',') : String(v);
}

/**
 * The variables the given flags stand for, for a service started by its command
 * (`bitcrawl worker --concurrency 100` runs the worker with CONCURRENCY=100) or for the
 * services `stack` starts. Only flags actually given appear.
 */
export function flagsToEnv(use: Use, opts: Record<string, unknown>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, k] of knobsOf(use)) {
    const raw = flagText(k, opts);
    if (raw !== undefined && k.env) env[k.env] = envText(raw);
  }
  return env;
}
