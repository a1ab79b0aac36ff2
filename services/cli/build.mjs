// Bundles the CLI and every @bitcrawl/* workspace package into dist/bitcrawl.mjs for the Docker
// image. npm dependencies stay external (installed with `npm ci --omit=dev`), so native packages
// like chdb load from node_modules as usual.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '../..');
const external = new Set();
for (const group of ['packages', 'services']) {
  for (const dir of readdirSync(path.join(root, group))) {
    const pkg = JSON.parse(readFileSync(path.join(root, group, dir, 'package.json'), 'utf8'));
    for (const dep of Object.keys(pkg.dependencies ?? {}))
      if (!dep.startsWith('@bitcrawl/')) external.add(dep);
  }
}
external.add('chdb/*');
external.add('@bull-board/api/*');
// Two scripts: the CLI, and the one a crawl thread of `bitcrawl worker` runs (THREADS > 1),
// which holds only the worker's engine.
await build({
  entryPoints: [
    { in: path.join(import.meta.dirname, 'src/entry.ts'), out: 'bitcrawl' },
    { in: path.join(root, 'services/worker/src/thread-entry.ts'), out: 'worker-thread' },
    { in: path.join(root, 'services/ingester/src/thread-entry.ts'), out: 'ingest-thread' },
  ],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: path.join(import.meta.dirname, 'dist'),
  outExtension: { '.js': '.mjs' },
  external: [...external],
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
