import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = path.resolve(import.meta.dirname, '../../bin/bitcrawl.mjs');

describe('service commands validate their configuration', () => {
  it('a bad value names the variable and exits 2', () => {
    const r = spawnSync(process.execPath, [bin, 'worker', '--redis', 'not a url'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/REDIS_URL/);
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
  });

  it('a missing REDIS_URL is reported for each service', () => {
    for (const svc of ['seeder', 'ingester']) {
      const r = spawnSync(process.execPath, [bin, svc], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      });
      expect(r.status, svc).toBe(2);
      expect(r.stderr).toMatch(/REDIS_URL/);
    }
  });

  it('a missing redis-server is one clear line with install hints, exit 1', () => {
    const r = spawnSync(process.execPath, [bin, 'crawl', '--once', '--no-dns', '--seed', '127.0.0.1:1'], {
      encoding: 'utf8',
      env: { PATH: '/nonexistent' },
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^bitcrawl: redis-server is not installed/);
    expect(r.stderr).toMatch(/apt-get install redis-server/);
    expect(r.stderr).toMatch(/brew install redis/);
    expect(r.stderr).toMatch(/dnf install redis/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
