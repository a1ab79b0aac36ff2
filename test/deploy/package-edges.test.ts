import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportedNames, namesImportedFrom, unusedIndexExports } from '../../scripts/index-exports.ts';
import { checkPackageEdges, importsOf, isTestCode } from '../../scripts/package-edges.ts';

const root = path.resolve(import.meta.dirname, '../..');

describe('package edges', () => {
  it('every import is declared in its package.json, and no runtime code imports testkit', () => {
    const { violations } = checkPackageEdges(root);
    expect(violations.map((v) => `${v.why}: ${v.file} imports ${v.imported}`)).toEqual([]);
  });

  it('each index.ts exports only what other workspaces import', () => {
    const { workspaces } = checkPackageEdges(root);
    const reports = unusedIndexExports(root, workspaces);
    expect(reports.filter((r) => r.unused.length).map((r) => `${r.pkg}: ${r.unused.join(', ')}`)).toEqual([]);
    // The check reads the indexes: storage's, say, offers openStore.
    expect(reports.find((r) => r.pkg === '@bitcrawl/storage')).toEqual({
      pkg: '@bitcrawl/storage',
      unused: [],
      wholeNamespace: false,
    });
  });

  it('reads exports and every way of importing a name', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'bitcrawl-index-'));
    const [I, E] = ['import', 'export'];
    writeFileSync(
      path.join(ws, 'a.ts'),
      `${E} * from './b.ts';\n${E} { c as see, type D } from './c.ts';\n${E} const e = 1;`,
    );
    writeFileSync(path.join(ws, 'b.ts'), `${E} function b() {}\n${E} interface B {}`);
    writeFileSync(path.join(ws, 'c.ts'), `${E} const c = 1;\n${E} type D = 1;`);
    expect([...exportedNames(path.join(ws, 'a.ts'))].sort()).toEqual(['B', 'D', 'b', 'e', 'see']);
    writeFileSync(
      path.join(ws, 'user.ts'),
      `${I} { b, type B as Bee } from '@x/a';
${E} { e } from '@x/a';
${I} { other } from '@x/a/sub';
const { see: c2 } = await ${I}('@x/a');
const d = (await ${I}('@x/a')).D;`,
    );
    expect([...namesImportedFrom(path.join(ws, 'user.ts'), '@x/a')].sort()).toEqual([
      'B',
      'D',
      'b',
      'e',
      'see',
    ]);
    writeFileSync(path.join(ws, 'ns.ts'), `${I} * as a from '@x/a';`);
    expect([...namesImportedFrom(path.join(ws, 'ns.ts'), '@x/a')]).toEqual(['*']);
  });

  it('runtime code reaches the local-server launcher through @bitcrawl/servers, not testkit', () => {
    const { graph } = checkPackageEdges(root);
    for (const [name, edges] of graph)
      if (name !== '@bitcrawl/e2e') expect(edges.runtime.has('@bitcrawl/testkit'), name).toBe(false);
    expect(graph.get('@bitcrawl/cli')?.runtime.has('@bitcrawl/servers')).toBe(true);
    expect(graph.get('@bitcrawl/stack')?.runtime.has('@bitcrawl/servers')).toBe(true);
  });

  it('finds undeclared, dev-only and testkit imports in a workspace made to have them', () => {
    const ws = mkdtempSync(path.join(tmpdir(), 'bitcrawl-edges-'));
    const write = (rel: string, text: string) => {
      mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
      writeFileSync(path.join(ws, rel), text);
    };
    write('package.json', JSON.stringify({ workspaces: ['packages/*'], devDependencies: { vitest: '*' } }));
    write(
      'packages/a/package.json',
      JSON.stringify({
        name: '@x/a',
        dependencies: { zod: '*' },
        devDependencies: { '@bitcrawl/testkit': '*' },
      }),
    );
    write(
      'packages/a/src/main.ts',
      [
        "import { z } from 'zod';",
        "import type { Gauge } from 'prom-client';",
        "import { budget } from '@bitcrawl/testkit';",
        "const lazy = await import('ioredis/built/x');",
        "import net from 'node:net';",
        "import fs from 'fs';",
        "import { y } from './y.ts';",
      ].join('\n'),
    );
    write(
      'packages/a/src/main.test.ts',
      "import { it } from 'vitest';\nimport { budget } from '@bitcrawl/testkit';",
    );
    write('packages/a/src/leak.ts', "export { it } from 'vitest';");
    const found = checkPackageEdges(ws).violations.map((v) => `${v.why} ${v.file} ${v.imported}`);
    expect(found.sort()).toEqual(
      [
        'undeclared packages/a/src/main.ts prom-client',
        'testkit at runtime packages/a/src/main.ts @bitcrawl/testkit',
        'undeclared packages/a/src/main.ts ioredis',
        'dev-only at runtime packages/a/src/leak.ts vitest',
      ].sort(),
    );
  });

  it('reads every import form, and tells test code from runtime code', () => {
    // The keywords come in through ${} so that this file's own text imports none of these.
    const [I, E, R] = ['import', 'export', 'require'];
    expect(
      importsOf(`${I} a from 'a';
${I} type { B } from '@s/b/sub';
${E} * from 'c';
${E} { d } from "d";
${I} 'e';
const f = await ${I}('f');
const g = ${R}('g');
${I} {
  h1,
  h2,
} from 'h';
${I} x from './x.ts';
${I} n from 'node:fs';
${I} p from 'path';`).sort(),
    ).toEqual(['@s/b', 'a', 'c', 'd', 'e', 'f', 'g', 'h'].sort());
    expect(isTestCode('src/a.test.ts')).toBe(true);
    expect(isTestCode('src/hostile-peers.test-util.ts')).toBe(true);
    expect(isTestCode('bench/round.bench.ts')).toBe(true);
    expect(isTestCode('src/visitor.ts')).toBe(false);
  });
});
