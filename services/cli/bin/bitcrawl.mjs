#!/usr/bin/env node
// Runs the TypeScript sources through tsx so `npx bitcrawl` works straight after `npm ci`.
// The Docker image runs the esbuild bundle (dist/bitcrawl.mjs) instead.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
