import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { distDir, sourceDigest } from './bundle.mjs';

describe('sourceDigest', () => {
  let base: string;
  const file = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(base, rel)), { recursive: true });
    writeFileSync(path.join(base, rel), text);
  };
  beforeEach(() => {
    base = mkdtempSync(path.join(tmpdir(), 'bitcrawl-digest-'));
    file('package.json', '{}');
    file('packages/a/package.json', '{}');
    file('packages/a/src/a.ts', 'export const a = 1;');
    file('services/b/package.json', '{}');
    file('services/b/src/deep/b.ts', 'export const b = 2;');
    file('services/b/bench/ignored.ts', 'not bundled');
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('is the same for an unchanged tree', () => {
    expect(sourceDigest(base)).toBe(sourceDigest(base));
  });

  it('changes with an edit, a touch, a file set back to an older time, and a new file', () => {
    const seen = new Set([sourceDigest(base)]);
    file('services/b/src/deep/b.ts', 'export const b = 3;');
    seen.add(sourceDigest(base));
    const a = path.join(base, 'packages/a/src/a.ts');
    utimesSync(a, new Date(), new Date(Date.now() + 5_000));
    seen.add(sourceDigest(base));
    utimesSync(a, new Date(), new Date(2001, 0, 1)); // a copy that keeps old times
    seen.add(sourceDigest(base));
    file('packages/a/src/new.ts', '');
    seen.add(sourceDigest(base));
    file('packages/a/package.json', '{"dependencies":{}}');
    seen.add(sourceDigest(base));
    expect(seen.size).toBe(6);
  });

  it('ignores what is not bundled', () => {
    const before = sourceDigest(base);
    file('services/b/bench/ignored.ts', 'still not bundled');
    file('packages/a/README.md', 'words');
    expect(sourceDigest(base)).toBe(before);
  });
});

describe('bin/bitcrawl.mjs', () => {
  it('runs the bundle, rebuilt for the sources as they are', () => {
    const out = execFileSync(
      process.execPath,
      [new URL('./bitcrawl.mjs', import.meta.url).pathname, '--version'],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_OPTIONS: '' },
      },
    );
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(readFileSync(path.join(distDir, '.sources'), 'utf8')).toBe(sourceDigest());
    expect(statSync(path.join(distDir, 'ingest-thread.mjs')).size).toBeGreaterThan(0);
  });
});

/**
 * The npm packages a bundled script loads before its first line runs, through its static
 * imports and their chunks: those it imports from node_modules, and those bundled into them
 * (esbuild heads each bundled module with a comment naming its path).
 */
function staticPackages(file: string, seen = new Set<string>(), found = new Set<string>()): Set<string> {
  if (seen.has(file)) return found;
  seen.add(file);
  const text = readFileSync(file, 'utf8');
  const packageOf = (spec: string) =>
    spec
      .split('/')
      .slice(0, spec.startsWith('@') ? 2 : 1)
      .join('/');
  for (const m of text.matchAll(/^import\s+(?:[^'"]*?from\s+)?["']([^"']+)["'];?$/gms)) {
    const spec = m[1] as string;
    if (spec.startsWith('.')) staticPackages(path.resolve(path.dirname(file), spec), seen, found);
    else if (!spec.startsWith('node:')) found.add(packageOf(spec));
  }
  for (const m of text.matchAll(/^\/\/ (?:\.\.\/)*node_modules\/(.+)$/gm))
    found.add(packageOf(m[1] as string));
  return found;
}

describe('the bundle', () => {
  it('keeps the lazy imports lazy: the CLI starts without BullMQ, chdb or the dashboard, the ingest thread without BullMQ, a worker thread without anything before it knows its role', () => {
    // bin/bitcrawl.mjs (the test above) built it for the sources as they are.
    expect(readFileSync(path.join(distDir, '.sources'), 'utf8')).toBe(sourceDigest());
    const cli = staticPackages(path.join(distDir, 'bitcrawl.mjs'));
    expect(cli).toContain('commander');
    expect(cli).toContain('zod'); // bundled (it is seen)
    for (const heavy of ['bullmq', 'chdb', 'express', '@bull-board/express', 'ioredis'])
      expect(cli).not.toContain(heavy);
    const ingest = staticPackages(path.join(distDir, 'ingest-thread.mjs'));
    expect(ingest).toContain('ioredis');
    expect(ingest).not.toContain('bullmq');
    // A crawl thread and a commit thread each load their own modules (thread-entry.ts).
    expect([...staticPackages(path.join(distDir, 'worker-thread.mjs'))]).toEqual([]);
  });
});
