import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI_BIN, cliBudget } from '@bitcrawl/testkit';
import { describe, expect, it, vi } from 'vitest';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: cliBudget(11, 60_000) });

const bin = CLI_BIN;

describe('service commands validate their configuration', () => {
  it('a bad value names the variable and exits 2', () => {
    const r = spawnSync(process.execPath, [bin, 'worker', '--redis', 'not a url'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/REDIS_URL/);
    // A base64 secret pasted into the URL (as compose does from .env): the hint says why.
    const b64 = spawnSync(process.execPath, [bin, 'worker'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, REDIS_URL: 'redis://:Zk3/q+Rt9w==@redis:6379' },
    });
    expect(b64.status).toBe(2);
    expect(b64.stderr).toMatch(/REDIS_URL: not a valid URL \(a password in it must be URL-safe/);
    const c = spawnSync(
      process.execPath,
      [bin, 'worker', '--redis', 'redis://127.0.0.1:1', '--concurrency', 'lots'],
      {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      },
    );
    expect(c.status).toBe(2);
    expect(c.stderr).toMatch(/CONCURRENCY/);
    // In range for the environment's type but not for the service's config: still named,
    // and a log level pino does not know is refused before pino can throw a stack trace.
    for (const [service, name, value] of [
      ['worker', 'CONCURRENCY', '0'],
      ['worker', 'LOCK_DURATION_MS', '500'],
      ['worker', 'CONNECT_TIMEOUT_MS', '0'],
      ['worker', 'LOG_LEVEL', 'verbose'],
      ['ingester', 'BATCH_SIZE', '0'],
      ['ingester', 'LOG_LEVEL', 'warning'],
      ['seeder', 'LOG_LEVEL', 'verbose'],
      ['dashboard', 'LOG_LEVEL', 'verbose'],
    ] as const) {
      const z = spawnSync(process.execPath, [bin, service], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, REDIS_URL: 'redis://127.0.0.1:1', [name]: value },
      });
      expect(z.status, `${service} ${name}`).toBe(2);
      expect(z.stderr).toMatch(new RegExp(`^bitcrawl: invalid configuration:\\n  ${name}: `));
    }
  });

  it('a missing REDIS_URL is reported for each service', () => {
    for (const svc of ['seeder', 'ingester']) {
      const r = spawnSync(process.execPath, [bin, svc], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      });
      expect(r.status, svc).toBe(2);
      // In words, saying what to set (issue 17, finding 7), not zod's "received undefined".
      expect(r.stderr).toContain('REDIS_URL: not set: set REDIS_URL=redis://HOST:6379');
      expect(r.stderr).not.toMatch(/received undefined/);
    }
  });

  it('an unusable GeoIP/ASN database names the file and line, exit 2, no stack trace', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-geo-cfg-'));
    const bad = path.join(dir, 'bad.tsv');
    writeFileSync(bad, '192.0.2.0\t192.0.2.255\t64500\tZZ\tA\n192.0.3.0\t192.0.3.255\tAS1\tZZ\tB\n');
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [bin, ...args], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, ...env },
      });
    const ingester = run(['ingester'], {
      REDIS_URL: 'redis://127.0.0.1:1',
      STORE_DIR: dir,
      GEOIP_ASN_DB: bad,
    });
    expect(ingester.status, ingester.stderr).toBe(2);
    expect(ingester.stderr).toContain(`bitcrawl: invalid configuration: ${bad}:2: bad AS number "AS1"`);
    expect(ingester.stderr).not.toMatch(/\n\s+at /);
    const missing = path.join(dir, 'missing.tsv.gz');
    const crawl = run(['crawl', '--once', '--no-dns', '--seed', '127.0.0.1:1', '--geoip-asn-db', missing]);
    expect(crawl.status, crawl.stderr).toBe(2);
    expect(crawl.stderr).toMatch(/^bitcrawl: invalid configuration: .*missing\.tsv\.gz: cannot read: ENOENT/);
    const cloudOnly = run(['ingester', '--cloud-asns', bad], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(cloudOnly.status).toBe(2);
    expect(cloudOnly.stderr).toMatch(/CLOUD_ASNS: the cloud ASN file needs a GeoIP\/ASN database/);
  });

  it('a missing redis-server is one clear line with install hints, exit 1', () => {
    const r = spawnSync(process.execPath, [bin, 'crawl', '--once', '--no-dns', '--seed', '127.0.0.1:1'], {
      encoding: 'utf8',
      env: { PATH: '/nonexistent' },
    });
    expect(r.status, r.stderr).toBe(1);
    // One line saying what to run (no package manager on this PATH: every one of them).
    expect(r.stderr).toMatch(
      /^bitcrawl: redis-server is not installed: run `npm run setup` in the bitcrawl folder, or /,
    );
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/apt-get install redis-server/);
    expect(r.stderr).toMatch(/brew install redis/);
    expect(r.stderr).toMatch(/dnf install redis/);
    // With apt-get on PATH (and still no redis-server), the one line is apt's.
    const aptOnly = mkdtempSync(path.join(tmpdir(), 'bitcrawl-apt-only-'));
    symlinkSync('/usr/bin/apt-get', path.join(aptOnly, 'apt-get'));
    const apt = spawnSync(
      process.execPath,
      [CLI_BIN, 'crawl', '--once', '--no-dns', '--seed', '127.0.0.1:1'],
      {
        encoding: 'utf8',
        env: { PATH: aptOnly },
      },
    );
    expect(apt.status).toBe(1);
    expect(apt.stderr).toBe(
      'bitcrawl: redis-server is not installed: run `npm run setup` in the bitcrawl folder, or run: sudo apt-get install redis-server\n',
    );
  });
});
