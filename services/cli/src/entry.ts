import { fileURLToPath } from 'node:url';
import { main } from './main.ts';

// The bundled entry point (dist/bitcrawl.mjs); bin/bitcrawl.mjs runs the sources instead.
// build.mjs bundles a crawl thread's script beside it (dist/worker-thread.mjs).
process.exitCode = await main(process.argv, {
  workerThreadEntry: fileURLToPath(new URL('./worker-thread.mjs', import.meta.url)),
});
