import { Command } from 'commander';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { inputOf, parseNamed } from './configs.ts';
import { type Knob, USES } from './knob.ts';
import { KNOBS, knobsOf } from './knobs.ts';
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
  const parse = (
    use:
      | 'crawl'
      | 'visit'
      | 'worker'
      | 'stack'
      | 'decode'
      | 'geo-backfill'
      | 'report'
      | 'export'
      | 'status'
      | 'simnet',
    argv: string[],
  ) => {
    const cmd = addFlags(new Command('x').exitOverride(), use);
    cmd.parse(argv, { from: 'user' });
    return cmd.opts();
  };

  it('a flag beats its variable, read only where the use says so', () => {
    const env = { TRANSPORT: 'v1', REDIS_URL: 'redis://elsewhere', CONNECT_TIMEOUT_MS: '700' };
    const c = fromFlags('crawl', parse('crawl', ['--seed', 'a:1', '--seed', 'b:2', '--no-dns']), env);
    expect(c).toMatchObject({ transport: 'v1', connectMs: 700, seeds: ['a:1', 'b:2'], dns: false });
    expect(c.redisUrl).toBeUndefined(); // crawl starts its own Redis unless --redis
    expect([c.concurrency, c.pendingDials]).toEqual([2000, 2000]); // crawl's own defaults
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

  it('status and simnet: numbers of seconds may have fractions, within their bounds', () => {
    expect(fromFlags('status', parse('status', ['--watch', '--interval', '0.5']))).toMatchObject({
      json: false,
      watch: true,
      interval: 0.5,
    });
    expect(fromFlags('status', parse('status', [])).interval).toBe(2);
    for (const bad of ['0.05', '3601', 'abc', '1e3', 'Infinity', '0x10'])
      expect(issuesOf(() => fromFlags('status', parse('status', ['--interval', bad])))).toEqual([
        `--interval: expected seconds, a number from 0.1 to 3600, got "${bad}"`,
      ]);
    expect(fromFlags('simnet', parse('simnet', [])).duration).toBe(600);
    expect(issuesOf(() => fromFlags('simnet', parse('simnet', ['--nodes', '0', '--duration', '0'])))).toEqual(
      [
        '--nodes: expected a whole number from 1 to 20000, got "0"',
        '--duration: expected seconds, a number from 0.001 to 86400, got "0"',
      ],
    );
  });

  it('conflicting flags are refused', () => {
    expect(() => parse('crawl', ['--clickhouse', 'http://h:8123', '--store', 'd'])).toThrow(
      /cannot be used with/,
    );
    // --round conflicts with two others (where they exist: export has neither).
    expect(() => parse('report', ['--round', 'r1', '--all-rounds'])).toThrow(/cannot be used with/);
    expect(() => parse('report', ['--round', 'r1', '--rounds', '2'])).toThrow(/cannot be used with/);
    expect(fromFlags('export', parse('export', ['--round', 'r1', '--default-port', '8333']))).toMatchObject({
      round: 'r1',
      defaultPort: 8333,
    });
    expect(issuesOf(() => fromFlags('report', parse('report', ['--round', "r1' OR 1=1"])))).toEqual([
      "--round: bad round id (letters, digits, '.', '_', '-')",
    ]);
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

  it('every knob has a flag or a variable; variables are unique, and flags within each command', () => {
    const envs = Object.values(KNOBS).flatMap((k) => ('env' in k && k.env ? [k.env] : []));
    expect(new Set(envs).size).toBe(envs.length);
    // Commands are apart: simnet's --seed <n> (a PRNG seed) is not crawl's --seed <host:port>.
    for (const use of USES) {
      const flags = knobsOf(use).flatMap(([, k]: [string, Knob]) => (k.flag ? [k.flag.split(' ')[0]] : []));
      expect(new Set(flags).size, use).toBe(flags.length);
    }
    for (const k of Object.values(KNOBS)) expect('env' in k || 'flag' in k).toBe(true);
  });
});
