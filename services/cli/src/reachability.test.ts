import { CLI_BIN, cliBudget, freePort, runCommand } from '@bitcrawl/testkit';
import { describe, expect, it, vi } from 'vitest';
import { redactUrl } from './reachability.ts';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: cliBudget(3, 30_000) });

const bin = CLI_BIN;
const cli = (args: string[]) => runCommand(process.execPath, [bin, ...args]);

describe('one-shot commands against servers that are not there', () => {
  it('status, query and crawl --redis say which server they cannot reach, in one line, exit 1', async () => {
    const port = await freePort(); // nothing listens on it
    const status = await cli(['status', '--redis', `redis://:hunter2@127.0.0.1:${port}`]);
    expect(status.status).toBe(1);
    expect(status.stderr.trim()).toBe(
      `bitcrawl: cannot reach Redis at redis://:***@127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const query = await cli(['query', '--clickhouse', `http://127.0.0.1:${port}`, 'SELECT 1']);
    expect(query.status).toBe(1);
    expect(query.stderr.trim()).toBe(`bitcrawl: cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
    const crawl = await cli([
      'crawl',
      '--once',
      '--no-dns',
      '--seed',
      '127.1.0.1',
      '--redis',
      `redis://127.0.0.1:${port}`,
    ]);
    expect(crawl.status).toBe(1);
    expect(crawl.stderr.trim()).toBe(
      `bitcrawl: cannot reach Redis at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('masks passwords in the URLs it prints', () => {
    expect(redactUrl('redis://:pw@h:6379/0')).toBe('redis://:***@h:6379/0');
    expect(redactUrl('http://u:pw@h:8123')).toBe('http://u:***@h:8123/');
    expect(redactUrl('not a url')).toBe('not a url');
  });
});
