export * from './config.ts';
export * from './dial.ts';
export * from './handshake.ts';
export * from './policy.ts';
export * from './session.ts';
export * from './transport-memory.ts';
export * from './visitor.ts';
export * from './worker-flags.ts';
