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
await build({
  entryPoints: [path.join(import.meta.dirname, 'src/entry.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: path.join(import.meta.dirname, 'dist/bitcrawl.mjs'),
  external: [...external],
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});
