import { main } from './main.ts';

// The bundled entry point (dist/bitcrawl.mjs); bin/bitcrawl.mjs runs the sources instead.
process.exitCode = await main(process.argv);
