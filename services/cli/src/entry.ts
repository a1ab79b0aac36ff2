import { fileURLToPath } from 'node:url';
import { main } from './main.ts';

// The bundled entry point (dist/bitcrawl.mjs), which bin/bitcrawl.mjs runs (or the sources, through tsx).
// build.mjs bundles the threads' scripts beside it (dist/worker-thread.mjs, dist/ingest-thread.mjs).
process.exitCode = await main(process.argv, {
  workerThreadEntry: fileURLToPath(new URL('./worker-thread.mjs', import.meta.url)),
  ingestThreadEntry: fileURLToPath(new URL('./ingest-thread.mjs', import.meta.url)),
  script: fileURLToPath(import.meta.url),
});
