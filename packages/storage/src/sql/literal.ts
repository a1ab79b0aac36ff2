/**
 * The literal formatter for servers without query parameters (ClickHouse 18.16): it writes each
 * `{name:Type}` placeholder of a query as an SQL literal of that type. Strings are escaped
 * (backslash, quote and control bytes), integers must be exact and in range, and an array after
 * IN becomes a tuple, the only set form 18.16 accepts there. A placeholder it cannot format is
 * an error, never text pasted in as it is.
 */
import { SqlParamError } from './errors.ts';

export type SqlValue = string | number | bigint | boolean | readonly SqlValue[];
export type SqlParams = Readonly<Record<string, SqlValue>>;

/** `{name:Type}`, ClickHouse's placeholder syntax; a regex quantifier such as `{1,3}` is not one. */
export const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*):([A-Za-z0-9_(), ]+)\}/g;

const INT_RANGE: Record<string, [bigint, bigint]> = {
  UInt8: [0n, 255n],
  UInt16: [0n, 65_535n],
  UInt32: [0n, 4_294_967_295n],
  UInt64: [0n, 18_446_744_073_709_551_615n],
  Int8: [-128n, 127n],
  Int16: [-32_768n, 32_767n],
  Int32: [-2_147_483_648n, 2_147_483_647n],
  Int64: [-9_223_372_036_854_775_808n, 9_223_372_036_854_775_807n],
};

/** A string as a ClickHouse string literal, readable the same by 18.16 and current servers. */
export function stringLiteral(s: string): string {
  let out = "'";
  for (const ch of s) {
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\0') out += '\\0';
    else if (ch.charCodeAt(0) < 0x20) out += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}'`;
}

function intLiteral(name: string, type: string, v: SqlValue): string {
  const range = INT_RANGE[type] as [bigint, bigint];
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) n = BigInt(v);
  else throw new SqlParamError(`parameter ${name}: ${JSON.stringify(String(v))} is not an exact integer`);
  if (n < range[0] || n > range[1]) throw new SqlParamError(`parameter ${name}: ${n} is out of ${type}`);
  return n.toString();
}

/** One value of `type` as SQL text; `inSet` writes an array as a tuple (the right side of IN). */
export function valueLiteral(name: string, type: string, v: SqlValue, inSet = false): string {
  const t = type.replace(/\s+/g, '');
  const inner = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(t)?.[1];
  if (inner !== undefined) return valueLiteral(name, inner, v, inSet);
  const element = /^Array\((.*)\)$/.exec(t)?.[1];
  if (element !== undefined) {
    if (!Array.isArray(v)) throw new SqlParamError(`parameter ${name}: expected an array for ${type}`);
    const items = (v as readonly SqlValue[]).map((x) => valueLiteral(name, element, x));
    if (!inSet) return `[${items.join(', ')}]`;
    if (items.length === 0) throw new SqlParamError(`parameter ${name}: IN an empty set`);
    return `(${items.join(', ')})`;
  }
  if (Array.isArray(v)) throw new SqlParamError(`parameter ${name}: an array for ${type}`);
  if (t === 'String') {
    if (typeof v !== 'string') throw new SqlParamError(`parameter ${name}: expected a string`);
    return stringLiteral(v);
  }
  if (t in INT_RANGE) return intLiteral(name, t, v);
  if (t === 'Bool' || t === 'UInt8Bool') return v ? '1' : '0';
  throw new SqlParamError(`parameter ${name}: type ${type} has no literal form here`);
}

/** A quoted string or identifier of the SQL text, passed over: a placeholder in it is text. */
const QUOTED = /'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`(?:[^`\\]|\\.)*`/;
const TOKEN = new RegExp(`${QUOTED.source}|${PLACEHOLDER.source}`, 'g');

/** The query with every placeholder written as a literal of its declared type. */
export function formatLiterals(sql: string, params: SqlParams): string {
  return sql.replace(TOKEN, (m, name: string | undefined, type: string, offset: number) => {
    if (name === undefined) return m;
    if (!Object.hasOwn(params, name)) throw new SqlParamError(`parameter ${name} has no value`);
    const inSet = /\bIN\s*$/i.test(sql.slice(Math.max(0, offset - 8), offset));
    return valueLiteral(name, type, params[name] as SqlValue, inSet);
  });
}
