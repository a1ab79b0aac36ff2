import { Command } from 'commander';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { inputOf, parseNamed } from './configs.ts';
import { KNOBS } from './knobs.ts';
import { profileEnv, profileTimers } from './profiles.ts';
import { addFlags, flagsToEnv, fromEnv, fromFlags } from './read.ts';

const issuesOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return (err as z.ZodError).issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  }
  throw new Error('did not throw');
};

describe('fromEnv', () => {
  it("reads every knob of a service, typed, with its defaults and '' as unset", () => {
    const w = fromEnv('worker', { REDIS_URL: 'redis://h:6379', CONCURRENCY: '40', PROXY_ONION: '' });
    expectTypeOf(w.concurrency).toEqualTypeOf<number>();
    expectTypeOf(w.redisUrl).toEqualTypeOf<string>();
    expectTypeOf(w.proxy).toEqualTypeOf<string | undefined>();
    expect(w).toMatchObject({ redisUrl: 'redis://h:6379', concurrency: 40, threads: 1, logLevel: 'info' });
    expect(w.proxyOnion).toBeUndefined();
    expect(w.metricsPort).toBe(9464);
    expect(fromEnv('ingester', { REDIS_URL: 'redis://h' }).metricsPort).toBe(9465);
    expect(fromEnv('seeder', { REDIS_URL: 'redis://h', SEEDS: 'a:1, b:2' }).seeds).toEqual(['a:1', 'b:2']);
  });

  it('a renamed variable still set is refused with its new name, not ignored', () => {
    expect(
      issuesOf(() => fromEnv('seeder', { REDIS_URL: 'redis://h', RESEED_EVERY_MS: '21600000' })),
    ).toEqual([
      'RESEED_EVERY_MS: RESEED_EVERY_MS was renamed to ROUND_INTERVAL_MS: set ROUND_INTERVAL_MS instead (and remove RESEED_EVERY_MS)',
    ]);
  });

  it('names every bad or missing variable at once', () => {
    expect(issuesOf(() => fromEnv('worker', { CONCURRENCY: '0', LOG_LEVEL: 'verbose' }))).toEqual([
      expect.stringMatching(/^CONCURRENCY: expected a whole number from 1 to 10000, got "0"/),
      'REDIS_URL: Invalid input: expected string, received undefined',
      expect.stringMatching(/^LOG_LEVEL: /),
    ]);
  });
});

describe('flags', () => {
  const parse = (use: 'crawl' | 'visit' | 'worker' | 'stack' | 'decode' | 'geo-backfill', argv: string[]) => {
    const cmd = addFlags(new Command('x').exitOverride(), use);
    cmd.parse(argv, { from: 'user' });
    return cmd.opts();
  };

  it('a flag beats its variable, read only where the use says so', () => {
    const env = { TRANSPORT: 'v1', REDIS_URL: 'redis://elsewhere', CONNECT_TIMEOUT_MS: '700' };
    const c = fromFlags('crawl', parse('crawl', ['--seed', 'a:1', '--seed', 'b:2', '--no-dns']), env);
    expect(c).toMatchObject({ transport: 'v1', connectMs: 700, seeds: ['a:1', 'b:2'], dns: false });
    expect(c.redisUrl).toBeUndefined(); // crawl starts its own Redis unless --redis
    expect(c.concurrency).toBe(2000); // crawl's own default
    expect(fromFlags('crawl', parse('crawl', ['--transport', 'v2-only']), env).transport).toBe('v2-only');
  });

  it('errors name the flag and the variable it may come from', () => {
    expect(issuesOf(() => fromFlags('visit', parse('visit', ['--tentative-idle-timeout', 'x'])))).toEqual([
      '--tentative-idle-timeout (or TENTATIVE_IDLE_MS): expected milliseconds, a whole number from 1 to 3600000, got "x"',
    ]);
  });

  it('older spellings are accepted; a service command turns flags into its variables', () => {
    expect(fromFlags('visit', parse('visit', ['--onion-proxy', 'socks5://127.0.0.1:9050'])).proxyOnion).toBe(
      'socks5://127.0.0.1:9050',
    );
    expect(
      flagsToEnv('worker', parse('worker', ['--concurrency', '9', '--allow-private', '--cjdns'])),
    ).toEqual({
      CONCURRENCY: '9',
      ALLOW_PRIVATE: 'true',
      CJDNS_ROUTE: 'true',
    });
    expect(flagsToEnv('stack', parse('stack', ['--no-dns', '--seed', 'a:1']))).toEqual({
      DNS: 'false',
      SEEDS: 'a:1',
    });
  });

  it('decode and geo-backfill: their flags from the knobs, a required one named when missing', () => {
    expect(fromFlags('decode', parse('decode', ['--hex', '--network', 'testnet3']))).toEqual({
      chain: 'testnet',
      hex: true,
    });
    expect(issuesOf(() => fromFlags('decode', parse('decode', ['--network', 'dogecoin'])))[0]).toMatch(
      /^--network: unknown network "dogecoin"/,
    );
    const env = { GEOIP_ASN_DB: 'ignored.tsv' }; // a command's flag only: the variable is the ingester's
    expect(issuesOf(() => fromFlags('geo-backfill', parse('geo-backfill', ['--all']), env))).toEqual([
      '--geoip-asn-db: Invalid input: expected string, received undefined',
    ]);
    expect(fromFlags('geo-backfill', parse('geo-backfill', ['--geoip-asn-db', 'a.tsv']), env)).toEqual({
      geoipAsnDb: 'a.tsv',
      cloudAsns: undefined,
      all: false,
    });
  });

  it('conflicting flags are refused', () => {
    expect(() => parse('crawl', ['--clickhouse', 'http://h:8123', '--store', 'd'])).toThrow(
      /cannot be used with/,
    );
  });
});

describe('configs', () => {
  it('nests knob values into the config each feeds, leaving unset ones to that config', () => {
    const w = fromEnv('worker', {
      REDIS_URL: 'redis://h',
      CONNECT_TIMEOUT_MS: '900',
      PROXY_I2P: 'socks5://h:1',
    });
    const crawler = inputOf('crawler', 'worker', w);
    expect(crawler).toMatchObject({
      chain: 'mainnet',
      timeouts: { connectMs: 900 },
      proxies: { i2p: 'socks5://h:1' },
    });
    expect((crawler.timeouts as object) ?? {}).not.toHaveProperty('getaddrMs');
    expect(inputOf('frontier', 'worker', w)).toMatchObject({ gossipCaps: { perHost: 8 } });
  });

  it('a config error names the variable or the flag, in its path and its words', () => {
    const schema = z
      .object({ timeouts: z.object({ getaddrMs: z.number(), sessionMs: z.number() }) })
      .refine((c) => c.timeouts.getaddrMs < c.timeouts.sessionMs, {
        path: ['timeouts', 'sessionMs'],
        message: 'getaddrMs must be less than sessionMs',
      });
    const input = { timeouts: { getaddrMs: 2, sessionMs: 1 } };
    expect(issuesOf(() => parseNamed('crawler', 'visit', 'flag', () => schema.parse(input)))).toEqual([
      '--session-timeout: --getaddr-timeout must be less than --session-timeout',
    ]);
    expect(issuesOf(() => parseNamed('crawler', 'worker', 'env', () => schema.parse(input)))).toEqual([
      'SESSION_TIMEOUT_MS: getaddrMs must be less than sessionMs',
    ]);
  });

  it('profiles fill only the timers nobody set', () => {
    expect(
      profileTimers({ profile: 'loopback' as const, connectMs: 42 as number | undefined }),
    ).toMatchObject({
      connectMs: 42,
      getaddrMs: 3000,
    });
    expect(profileEnv('loopback')).toMatchObject({ CONNECT_TIMEOUT_MS: '1500', IDLE_TIMEOUT_MS: '500' });
  });

  it('every knob has a flag or a variable, and names are unique', () => {
    const envs = Object.values(KNOBS).flatMap((k) => ('env' in k && k.env ? [k.env] : []));
    const flags = Object.values(KNOBS).flatMap((k) => ('flag' in k && k.flag ? [k.flag.split(' ')[0]] : []));
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(flags).size).toBe(flags.length);
    for (const k of Object.values(KNOBS)) expect('env' in k || 'flag' in k).toBe(true);
  });
});
