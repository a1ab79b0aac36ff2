export * from './isolate.ts';
export * from './migrate.ts';
export * from './queries.ts';
export * from './rejection.ts';
export * from './store.ts';
export * from './typed-rows.ts';
export * from './unrouted.ts';
export * from './writer.ts';
