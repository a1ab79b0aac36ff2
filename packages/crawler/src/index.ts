// The crawler API other packages use. Configuration is exported whole (its knobs are declared
// there once); the session, handshake machine and dialers stay internal.
export * from './config.ts';
export * from './dial.ts';
export * from './fd-limit.ts';
export * from './handshake.ts';
export * from './policy.ts';
export * from './session.ts';
export * from './transport-memory.ts';
export * from './visitor.ts';
