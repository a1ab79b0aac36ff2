import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCommand } from '@bitcrawl/testkit';
import { describe, expect, it } from 'vitest';

const bin = path.resolve(import.meta.dirname, '../../bin/bitcrawl.mjs');
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
  }, 60_000);
});
