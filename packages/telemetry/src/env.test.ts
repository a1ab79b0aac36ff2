import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.ts';

describe('parseEnv', () => {
  it('hands the schema the environment without unset or empty variables', () => {
    const seen: unknown[] = [];
    const schema = {
      parse: (x: unknown) => {
        seen.push(x);
        return x;
      },
    };
    expect(
      parseEnv(schema, { REDIS_URL: 'redis://r:6379', PROXY_ONION: '', PORT: undefined, ZERO: '0' }),
    ).toEqual({
      REDIS_URL: 'redis://r:6379',
      ZERO: '0',
    });
    expect(seen).toHaveLength(1);
  });

  it('lets schema errors through', () => {
    const schema = {
      parse: (x: unknown) => {
        if (!(x as Record<string, string>).REDIS_URL) throw new Error('REDIS_URL: required');
        return x;
      },
    };
    expect(() => parseEnv(schema, { REDIS_URL: '' })).toThrow(/REDIS_URL/);
  });
});
