#!/usr/bin/env node
// `npx bitcrawl` runs the esbuild bundle of the sources (dist/, see bundle.mjs), rebuilt first
// whenever a source changed, so it works straight after `npm ci` and after every edit. With
// --enable-source-maps (TypeScript lines in stacks), or where the bundle cannot be built, it
// runs the TypeScript sources through tsx instead. The Docker image runs the bundle directly.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshBundle } from './bundle.mjs';
import { sourceMapsAsked, sourceMapsOnlyWhenAsked } from './source-maps.mjs';

const bundle = sourceMapsAsked() ? undefined : await freshBundle();
if (bundle) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  sourceMapsOnlyWhenAsked();
  const { main } = await import('../src/main.ts');
  process.exitCode = await main(process.argv, {
    workerThreadEntry: fileURLToPath(new URL('./worker-thread.mjs', import.meta.url)),
    ingestThreadEntry: fileURLToPath(new URL('./ingest-thread.mjs', import.meta.url)),
    script: fileURLToPath(import.meta.url),
  });
}
