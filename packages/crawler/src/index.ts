export * from './config.ts';
export * from './dial.ts';
export * from './fd-limit.ts';
export * from './handshake.ts';
export * from './policy.ts';
export * from './session.ts';
export * from './visitor.ts';
export * from './worker-flags.ts';
