import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI_BIN, cliBudget, loopbackTimerFlags, runCommand } from '@bitcrawl/testkit';
import { describe, expect, it, vi } from 'vitest';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: cliBudget(4, 90_000) });

const bin = CLI_BIN;
const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-simnet-spec-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('bitcrawl simnet --spec', () => {
  it('a bad spec file is a usage error (exit 2) naming the file and the problem, never a stack trace', async () => {
    const cases: [string, RegExp][] = [
      [path.join(dir, 'missing.json'), /cannot read spec .*missing\.json: ENOENT/],
      [file('broken.json', '{"nodes": 3'), /spec .*broken\.json is not valid JSON/],
      [file('list.json', '[1, 2]'), /spec .*list\.json must be a JSON object/],
      [file('zero.json', '{"nodes": 0}'), /nodes: Too small/],
    ];
    for (const [spec, message] of cases) {
      const r = await runCommand(process.execPath, [bin, 'simnet', '--spec', spec, '--duration', '1']);
      expect(r.status, spec).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('writes its ground truth under the temp dir, not where it runs, and names a port clash in one line', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'bitcrawl-simnet-cwd-'));
    // A spec gets what it asks for, nothing else: here nodes of every network (none by default).
    const spec = file(
      'ports.json',
      JSON.stringify({ nodes: 40, port: 28_555, ipv6BasePort: 45_000, ipv6: 2, onion: 2, i2p: 1, cjdns: 1 }),
    );
    const first = spawn(process.execPath, [bin, 'simnet', '--spec', spec, '--duration', '600'], { cwd });
    let out = '';
    first.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    const exited = new Promise<void>((r) => first.once('exit', () => r()));
    try {
      const deadline = Date.now() + cliBudget(1, 10_000);
      while (!out.includes('crawl it:') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const truthPath = /ground truth: (.*)/.exec(out)?.[1] as string;
      expect(truthPath.startsWith(tmpdir())).toBe(true);
      expect(readdirSync(cwd)).toEqual([]); // nothing written where it was started
      const networks = new Set(
        readFileSync(truthPath, 'utf8')
          .split('\n')
          .slice(1)
          .filter(Boolean)
          .map((l) => JSON.parse(l).network as string),
      );
      expect([...networks].sort()).toEqual(['cjdns', 'i2p', 'ipv4', 'ipv6', 'onion']);
      expect(out).toMatch(/--proxy-cjdns socks5:\/\/127\.0\.0\.1:\d+ --cjdns/);

      // Issue 17, finding 5: the printed command, pasted as it is, crawls the whole simnet
      // (every network through its proxy, loopback timers), nothing to fill in.
      const crawlLine = /crawl it: npx bitcrawl (.*)/.exec(out)?.[1] as string;
      expect(crawlLine).toContain('--profile loopback');
      expect(crawlLine).not.toMatch(/PORT/);
      // The README's walkthrough shows that command (its ports and seeds aside): the same flags.
      const readme = readFileSync(path.join(import.meta.dirname, '../../../../README.md'), 'utf8');
      const shown =
        /paste the line it prints after "crawl it:".*\n(npx bitcrawl crawl [^\n]*\\\n[^\n]*)/.exec(
          readme,
        )?.[1];
      const flags = (line: string) =>
        [...new Set([...line.matchAll(/(?<=^| )--[a-z0-9-]+/g)].map((m) => m[0]))].sort();
      expect(shown, 'the README walkthrough').toBeDefined();
      expect(flags(shown as string)).toEqual(flags(`npx bitcrawl ${crawlLine}`));
      const store = mkdtempSync(path.join(tmpdir(), 'bitcrawl-simnet-crawl-'));
      // As pasted, plus the loopback timers scaled to this machine's speed (given last, they win).
      const crawl = await runCommand(process.execPath, [
        bin,
        ...crawlLine.split(' '),
        '--store',
        store,
        ...loopbackTimerFlags(),
      ]);
      expect(crawl.status, crawl.stderr.slice(-2000)).toBe(0);
      const alive = readFileSync(truthPath, 'utf8')
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .filter((l) => JSON.parse(l).kind !== 'dead').length;
      expect(JSON.parse(crawl.stdout)).toMatchObject({ reachable: alive, notDialed: 0 });
      expect(out).toMatch(
        /or as the compose topology: npx bitcrawl stack .*--env PROXY_CJDNS=socks5:\S+ --env CJDNS_ROUTE=true --profile loopback/,
      );

      const second = await runCommand(process.execPath, [bin, 'simnet', '--spec', spec, '--duration', '1'], {
        cwd,
      });
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(/EADDRINUSE.*another simnet \(or another server\) holds its ports/);
      expect(second.stderr).not.toMatch(/\n\s+at /);
    } finally {
      first.kill('SIGTERM');
      await exited;
    }
    expect(existsSync(path.join(cwd, 'simnet-ground-truth.json'))).toBe(false);
  });
});
