import { describe, expect, it } from 'vitest';
import { parseEnv, withEnvNames } from './env.ts';

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

describe('withEnvNames', () => {
  const failing = (paths: PropertyKey[][]) => () => {
    throw Object.assign(new Error('invalid'), { issues: paths.map((path) => ({ path, message: 'bad' })) });
  };

  it('renames each issue path to its variable, the longest configured prefix winning', () => {
    const names = {
      batchSize: 'BATCH_SIZE',
      timeouts: 'TIMEOUTS',
      'timeouts.connectMs': 'CONNECT_TIMEOUT_MS',
    };
    try {
      withEnvNames(
        names,
        failing([['batchSize'], ['timeouts', 'connectMs'], ['timeouts', 'other'], ['denyCidrs', 2]]),
      );
      expect.unreachable();
    } catch (err) {
      expect((err as { issues: { path: PropertyKey[] }[] }).issues.map((i) => i.path)).toEqual([
        ['BATCH_SIZE'],
        ['CONNECT_TIMEOUT_MS'],
        ['TIMEOUTS', 'other'],
        ['denyCidrs', 2],
      ]);
    }
  });

  it('returns what parse returns and passes other errors through unchanged', () => {
    expect(withEnvNames({}, () => 42)).toBe(42);
    const plain = new Error('boom');
    expect(() =>
      withEnvNames({ a: 'A' }, () => {
        throw plain;
      }),
    ).toThrow(plain);
  });
});
