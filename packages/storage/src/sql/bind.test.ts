import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { budget, type ClickHouseServer, startClickHouse } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../queries.ts';
import { openStore, type Store } from '../store.ts';
import { bindQuery, hasQueryParams } from './bind.ts';
import { formatLiterals, stringLiteral } from './literal.ts';

/** Strings a round id, a host or an error text could hold, the hostile ones included. */
const NASTY = [
  '',
  'plain',
  "it's",
  'back\\slash',
  "\\'",
  "'; DROP TABLE observations; --",
  'line\nbreak\r\ttab',
  'nul\0byte',
  'bell\x07esc\x1b',
  'ünïcödé ✓ 𝄞',
  '{round:String}',
];

describe('the literal formatter (ClickHouse 18.16 has no query parameters)', () => {
  it('escapes backslash, quote and control bytes', () => {
    expect(stringLiteral("a'b\\c\nd\0")).toBe("'a\\'b\\\\c\\nd\\0'");
    expect(stringLiteral('\x07')).toBe("'\\x07'");
  });

  it('writes each placeholder as a literal of its type; an array after IN as a tuple', () => {
    expect(
      formatLiterals('SELECT {s:String}, {n:UInt32}, {a:Array(String)} WHERE x IN {a:Array(String)}', {
        s: "o'k",
        n: 7,
        a: ['x', 'y'],
      }),
    ).toBe("SELECT 'o\\'k', 7, ['x', 'y'] WHERE x IN ('x', 'y')");
    expect(formatLiterals('SELECT {big:UInt64}', { big: 18_446_744_073_709_551_615n })).toBe(
      'SELECT 18446744073709551615',
    );
  });

  it('leaves regex quantifiers and placeholders inside quotes alone', () => {
    expect(formatLiterals("SELECT match(e, '[0-9]{1,3}')", {})).toBe("SELECT match(e, '[0-9]{1,3}')");
    expect(formatLiterals("SELECT 'it\\'s {s:String}', {s:String}", { s: 'v' })).toBe(
      "SELECT 'it\\'s {s:String}', 'v'",
    );
  });

  it.each([
    ['a missing value', 'SELECT {s:String}', {}],
    ['a number for a string', 'SELECT {s:String}', { s: 1 }],
    ['a fraction for an integer', 'SELECT {n:UInt32}', { n: 1.5 }],
    ['a negative unsigned', 'SELECT {n:UInt64}', { n: -1 }],
    ['an overflow', 'SELECT {n:UInt8}', { n: 256 }],
    ['text for an integer', 'SELECT {n:Int64}', { n: '1 OR 1' }],
    ['an unknown type', 'SELECT {d:DateTime64(3)}', { d: 1 }],
    ['an empty IN set', 'SELECT 1 WHERE x IN {a:Array(String)}', { a: [] }],
  ] as const)('refuses %s with code SQL_PARAM', (_what, sql, params) => {
    expect(() => formatLiterals(sql, params)).toThrow(expect.objectContaining({ code: 'SQL_PARAM' }));
    // The same checks run where the server binds the values itself.
    expect(() => bindQuery({ engine: 'chdb', version: '26.1' }, sql, params)).toThrow(
      expect.objectContaining({ code: 'SQL_PARAM' }),
    );
  });

  it('binds as parameters on chdb and current servers, as literals on 18.16', () => {
    expect(hasQueryParams({ engine: 'chdb', version: '26.1.1' })).toBe(true);
    expect(hasQueryParams({ engine: 'server', version: '24.8.1' })).toBe(true);
    expect(hasQueryParams({ engine: 'server', version: '18.16.1' })).toBe(false);
    expect(bindQuery({ engine: 'server', version: '18.16.1' }, 'SELECT {s:String}', { s: 'x' })).toEqual({
      query: "SELECT 'x'",
    });
    expect(bindQuery({ engine: 'chdb', version: '26.1' }, 'SELECT {s:String}', { s: 'x' })).toEqual({
      query: 'SELECT {s:String}',
      query_params: { s: 'x' },
    });
  });
});

/** Every value comes back from the server exactly as it went in, both as literal and as parameter. */
function roundTrip(name: string, open: () => Promise<Store>) {
  describe(name, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
    }, budget(90_000));
    afterAll(() => store?.close());

    it.each(NASTY)('string %j', async (s) => {
      const [r] = await queryRows<{ s: string; len: string | number }>(
        store,
        'SELECT {s:String} AS s, length({s:String}) AS len',
        { s },
      );
      expect(r?.s).toBe(s);
      expect(Number(r?.len)).toBe(Buffer.byteLength(s));
      // The literal form, on whichever engine this is.
      const [lit] = await queryRows<{ s: string }>(store, `SELECT ${stringLiteral(s)} AS s`);
      expect(lit?.s).toBe(s);
    });

    it('integers up to 2^64-1 and sets after IN', async () => {
      const [r] = await queryRows<{ big: string; small: number | string; hit: number; miss: number }>(
        store,
        `SELECT toString({big:UInt64}) AS big, {small:Int32} AS small,
                'b\\'c' IN {set:Array(String)} AS hit, 'zz' IN {set:Array(String)} AS miss`,
        { big: 18_446_744_073_709_551_615n, small: -5, set: ['a', "b'c", 'x\\y'] },
      );
      expect(r?.big).toBe('18446744073709551615');
      expect(Number(r?.small)).toBe(-5);
      expect(Number(r?.hit)).toBe(1);
      expect(Number(r?.miss)).toBe(0);
    });
  });
}

let server: ClickHouseServer;
roundTrip('clickhouse-server 18.16 (literals)', async () => {
  server = await startClickHouse();
  return openStore({ url: server.url });
});
afterAll(() => server?.stop());
roundTrip('embedded chdb (query parameters)', () =>
  openStore({ dir: mkdtempSync(path.join(tmpdir(), 'bitcrawl-bind-')) }),
);
