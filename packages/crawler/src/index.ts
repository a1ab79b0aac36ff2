// The crawler API other packages use. Configuration is exported whole (its knobs are declared
// there once); the session, handshake machine and dialers stay internal.
export * from './config.ts';
export { DialInfrastructureError, ProxyUrlError } from './dial.ts';
export { fitConcurrencyToFdLimit } from './fd-limit.ts';
export { createVisitor, type Visitor } from './visitor.ts';
export { sizeCrawlThreadHeaps, splitConcurrency, WORKER_V8_FLAGS } from './worker-flags.ts';
