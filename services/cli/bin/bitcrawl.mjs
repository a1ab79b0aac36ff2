#!/usr/bin/env node
// Runs the TypeScript sources through tsx so `npx bitcrawl` works straight after `npm ci`.
// The Docker image runs the esbuild bundle (dist/bitcrawl.mjs) instead.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';
import { sourceMapsOnlyWhenAsked } from './source-maps.mjs';

register();
sourceMapsOnlyWhenAsked();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv, {
  workerThreadEntry: fileURLToPath(new URL('./worker-thread.mjs', import.meta.url)),
  ingestThreadEntry: fileURLToPath(new URL('./ingest-thread.mjs', import.meta.url)),
});
