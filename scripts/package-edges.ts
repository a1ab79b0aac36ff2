/**
 * The packages' import edges, read from their source: every import must be declared in the
 * importing package's package.json (runtime code in `dependencies`; tests, benches and fuzzers
 * may also use `devDependencies` and the root's dev tools), and no runtime code imports
 * @bitcrawl/testkit; an index.ts exports only what other workspaces import (index-exports.ts).
 * `npx tsx scripts/package-edges.ts` prints the workspace's import graph, the unused index
 * exports and the violations; test/deploy/package-edges.test.ts fails on any.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unusedIndexExports } from './index-exports.ts';

export interface Violation {
  pkg: string;
  file: string;
  imported: string;
  why: 'undeclared' | 'dev-only at runtime' | 'testkit at runtime';
}

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  workspaces?: string[];
}

const SOURCE = /\.(?:ts|mts|cts|js|mjs|cjs)$/;
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;
const BUILTIN = new Set(builtinModules);

/** Test-only code: test files and helpers, benches, fuzzers, build and test configs. */
export function isTestCode(rel: string): boolean {
  return (
    /\.test(?:-util)?\.[cm]?[jt]s$/.test(rel) ||
    /(?:^|\/)(?:bench|fuzz)\//.test(rel) ||
    /(?:^|\/)vitest\.config\.[cm]?[jt]s$/.test(rel) ||
    /(?:^|\/)build\.mjs$/.test(rel)
  );
}

function sourceFiles(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(path.join(dir, rel))) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const r = rel ? `${rel}/${entry}` : entry;
    if (statSync(path.join(dir, r)).isDirectory()) out.push(...sourceFiles(dir, r));
    else if (SOURCE.test(entry) && !entry.endsWith('.d.ts')) out.push(r);
  }
  return out;
}

/** The package a bare specifier names ('@scope/name/sub' -> '@scope/name'); undefined for others. */
export function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
  return BUILTIN.has(name) ? undefined : name;
}

/** Every bare import of a source text (comments are not parsed out: keep imports real). */
export function importsOf(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(IMPORT)) {
    const pkg = packageOf((m[1] ?? m[2] ?? m[3]) as string);
    if (pkg) found.add(pkg);
  }
  return [...found];
}

export function workspaceDirs(root: string): string[] {
  const rootManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
  const dirs: string[] = [];
  for (const pattern of rootManifest.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const base = pattern.slice(0, -2);
      for (const d of readdirSync(path.join(root, base)).sort())
        if (statSync(path.join(root, base, d, 'package.json'), { throwIfNoEntry: false }))
          dirs.push(`${base}/${d}`);
    } else dirs.push(pattern);
  }
  return dirs;
}

/** The violations, and the graph of @bitcrawl packages (runtime edges; test-only edges apart). */
export function checkPackageEdges(root: string): {
  violations: Violation[];
  graph: Map<string, { runtime: Set<string>; testOnly: Set<string> }>;
  workspaces: { dir: string; name: string; files: string[] }[];
} {
  const rootManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
  const rootDev = new Set(Object.keys(rootManifest.devDependencies ?? {}));
  const violations: Violation[] = [];
  const graph = new Map<string, { runtime: Set<string>; testOnly: Set<string> }>();
  const workspaces: { dir: string; name: string; files: string[] }[] = [];
  for (const dir of workspaceDirs(root)) {
    const m = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8')) as Manifest;
    const deps = new Set(Object.keys(m.dependencies ?? {}));
    const dev = new Set(Object.keys(m.devDependencies ?? {}));
    const edges = { runtime: new Set<string>(), testOnly: new Set<string>() };
    graph.set(m.name, edges);
    // The `test` workspace (cross-service tests, benches) is test code through and through.
    const testWorkspace = dir === 'test';
    const files = sourceFiles(path.join(root, dir));
    workspaces.push({ dir, name: m.name, files });
    for (const file of files) {
      const test = testWorkspace || isTestCode(file);
      const text = readFileSync(path.join(root, dir, file), 'utf8');
      for (const imported of importsOf(text)) {
        if (imported === m.name) continue;
        const at = `${dir}/${file}`;
        if (imported.startsWith('@bitcrawl/')) (test ? edges.testOnly : edges.runtime).add(imported);
        if (!test && imported === '@bitcrawl/testkit' && m.name !== '@bitcrawl/testkit')
          violations.push({ pkg: m.name, file: at, imported, why: 'testkit at runtime' });
        else if (deps.has(imported)) continue;
        else if (dev.has(imported) || rootDev.has(imported) || imported.startsWith('@types/')) {
          if (!test) violations.push({ pkg: m.name, file: at, imported, why: 'dev-only at runtime' });
        } else violations.push({ pkg: m.name, file: at, imported, why: 'undeclared' });
      }
    }
    for (const r of edges.runtime) edges.testOnly.delete(r);
  }
  return { violations, graph, workspaces };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const { violations, graph, workspaces } = checkPackageEdges(root);
  const short = (n: string) => n.replace('@bitcrawl/', '');
  for (const [name, e] of graph) {
    const test = [...e.testOnly].map(short).sort();
    console.log(
      `${short(name)} -> ${[...e.runtime].map(short).sort().join(', ') || '(none)'}${test.length ? `  [tests: ${test.join(', ')}]` : ''}`,
    );
  }
  for (const r of unusedIndexExports(root, workspaces))
    if (r.unused.length) console.log(`UNUSED ${short(r.pkg)} index exports: ${r.unused.join(', ')}`);
  for (const v of violations) console.log(`VIOLATION ${v.why}: ${v.file} imports ${v.imported}`);
  const unused = unusedIndexExports(root, workspaces).filter((r) => r.unused.length > 0);
  process.exitCode = violations.length || unused.length ? 1 : 0;
}
