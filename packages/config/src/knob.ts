import { z } from 'zod';

/**
 * Who reads a knob. The services read their environment; the CLI commands read their flags
 * (and a variable only where their use says `env`). `store` is the commands that read a crawl
 * (query, report, export, geo-backfill).
 */
export const USES = [
  'worker',
  'seeder',
  'ingester',
  'dashboard',
  'crawl',
  'visit',
  'stack',
  'store',
  'status',
  'decode',
  'geo-backfill',
  'query',
  'report',
  'export',
  'simnet',
] as const;
export type Use = (typeof USES)[number];
export const SERVICE_USES = ['worker', 'seeder', 'ingester', 'dashboard'] as const satisfies readonly Use[];

/** How one service or command uses a knob: its own default, and whether a command also reads the variable. */
export interface UseSpec<T> {
  default?: T;
  /** A CLI command reads the variable when its flag is not given (services always do). */
  env?: boolean;
  /** The value must be given (by the variable or the flag). */
  required?: boolean;
}

export type Kind = 'int' | 'decimal' | 'bool' | 'string' | 'list' | 'enum';

/**
 * One configuration knob, declared once: how its text (a variable's value or a flag's) parses,
 * its default, bounds, variable, flag, help, and which services and commands use it. Env
 * parsing, commander flags and the README's table all follow from this.
 */
export interface Knob<T = unknown, U extends Use = Use> {
  kind: Kind;
  /** The variable the services read (and some commands, see UseSpec.env). */
  env?: string;
  /** The commander flag, e.g. '--concurrency <n>', '--allow-private', '--no-dns'. */
  flag?: string;
  /** Older spellings of the flag, accepted but hidden. */
  aliases?: readonly string[];
  help: string;
  /** Parses the text of a variable or flag (no default applied). */
  parse: z.ZodType<T>;
  /** A list knob: parses the values of its repeated flag (not split at commas). */
  parseItems?: z.ZodType<T>;
  default?: T;
  min?: number;
  max?: number;
  choices?: readonly string[];
  uses: { readonly [u in U]: UseSpec<T> };
  /**
   * Where the value goes in the configs the services are started with, as
   * '<component>.<path>' (e.g. 'crawler.timeouts.connectMs'); errors in those configs are
   * reported with the knob's variable or flag.
   */
  to?: readonly string[];
  /** Other knobs' keys whose flags may not be given with this one. */
  conflicts?: string | readonly string[];
}

/** The value a knob has for `use`: never undefined when it has a default or is required there. */
export type ValueFor<K, U extends Use> = K extends { parse: z.ZodType<infer T>; uses: infer S }
  ? U extends keyof S
    ? S[U] extends { required: true }
      ? NonNullable<T>
      : S[U] extends { default: infer UD }
        ? T | UD
        : K extends { default: infer D }
          ? undefined extends D
            ? T | undefined
            : T
          : T | undefined
    : never
  : never;

type Uses<T> = { readonly [u in Use]?: UseSpec<T> };
type Common<T, S extends Uses<T>> = {
  env?: string;
  flag?: string;
  aliases?: readonly string[];
  help: string;
  uses: S;
  to?: readonly string[];
  conflicts?: string | readonly string[];
};
/** What a builder returns: the knob, with its default and its uses' literal types kept for ValueFor. */
type Built<T, S, D> = Knob<T, keyof S & Use> & { default: D; uses: S };

/** A whole number from `min` to `max`; `unit` names it in errors ("milliseconds"). */
export function int<const S extends Uses<number>, const D extends number | undefined = undefined>(
  o: Common<number, S> & { min: number; max?: number; default?: D; unit?: string },
): Built<number, S, D> & { min: number; max: number | undefined } {
  const max = o.max ?? Number.MAX_SAFE_INTEGER;
  const range = o.max === undefined ? `at least ${o.min}` : `from ${o.min} to ${o.max}`;
  const parse = z.string().transform((s, ctx) => {
    const n = Number(s.trim());
    if (!/^-?\d+$/.test(s.trim()) || !Number.isSafeInteger(n) || n < o.min || n > max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${o.unit ? `${o.unit}, ` : ''}a whole number ${range}, got "${s}"`,
      });
      return z.NEVER;
    }
    return n;
  });
  return { kind: 'int', ...o, parse, min: o.min, ...(o.max !== undefined ? { max: o.max } : {}) } as never;
}

/** A number from `min` to `max`, fractions allowed (seconds: '0.5'); `unit` names it in errors. */
export function decimal<const S extends Uses<number>, const D extends number | undefined = undefined>(
  o: Common<number, S> & { min: number; max: number; default?: D; unit?: string },
): Built<number, S, D> & { min: number; max: number } {
  const parse = z.string().transform((s, ctx) => {
    const t = s.trim();
    const n = Number(t);
    // Plain decimal text only: no '', 'Infinity', '0x10' or '1e3' (Number() takes them all).
    if (!/^-?(\d+\.?\d*|\.\d+)$/.test(t) || n < o.min || n > o.max) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${o.unit ? `${o.unit}, ` : ''}a number from ${o.min} to ${o.max}, got "${s}"`,
      });
      return z.NEVER;
    }
    return n;
  });
  return { kind: 'decimal', ...o, parse } as never;
}

const BOOL_TEXT = ['true', 'false', '1', '0'] as const;

/** true/false (also 1/0); a flag sets it true, or false for a '--no-' flag. */
export function bool<const S extends Uses<boolean>>(
  o: Common<boolean, S> & { default: boolean },
): Built<boolean, S, boolean> {
  const parse = z.enum(BOOL_TEXT).transform((v) => v === 'true' || v === '1');
  return { kind: 'bool', ...o, parse, choices: BOOL_TEXT } as never;
}

/** Any text, or text a schema checks (a URL, a proxy URL, a crawl id). */
export function text<const S extends Uses<string>, const D extends string | undefined = undefined>(
  o: Common<string, S> & { default?: D; schema?: z.ZodType<string> },
): Built<string, S, D> {
  const { schema, ...rest } = o;
  return { kind: 'string', ...rest, parse: schema ?? z.string() } as never;
}

/** One of `choices`. */
export function oneOf<
  const C extends readonly [string, ...string[]],
  const S extends Uses<C[number]>,
  const D extends C[number] | undefined = undefined,
>(choices: C, o: Common<C[number], S> & { default?: D }): Built<C[number], S, D> {
  return { kind: 'enum', ...o, parse: z.enum(choices as unknown as [string, ...string[]]), choices } as never;
}

/** A comma-separated list (a repeatable flag); each item checked by `item`. */
export function list<const S extends Uses<string[]>, const D extends string[] | undefined = undefined>(
  o: Common<string[], S> & { default?: D; item?: z.ZodType<string, string> },
): Built<string[], S, D> {
  const { item, ...rest } = o;
  const parse = z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item ?? z.string()));
  return { kind: 'list', ...rest, parse, parseItems: z.array(item ?? z.string()) } as never;
}

/** The default a knob has for `use`: the use's own, else the knob's. */
export function defaultFor<T>(k: Knob<T>, use: Use): T | undefined {
  const spec = (k.uses as Partial<Record<Use, UseSpec<T>>>)[use];
  return spec && 'default' in spec ? spec.default : k.default;
}

export function usedBy(k: Knob, use: Use): UseSpec<unknown> | undefined {
  return (k.uses as Partial<Record<Use, UseSpec<unknown>>>)[use];
}

/**
 * A library config's schema for a whole-number knob (a number, not text): the knob's bounds and
 * default, so the config a service or library parses says them no second time.
 */
export function numberOf(k: { min: number; max?: number | undefined; default: number }) {
  return z
    .number()
    .int()
    .min(k.min)
    .max(k.max ?? Number.MAX_SAFE_INTEGER)
    .default(k.default);
}
