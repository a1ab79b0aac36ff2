export * from './isolate.ts';
export * from './migrate.ts';
export * from './queries.ts';
export * from './rejection.ts';
export * from './store.ts';
export * from './timeline/index.ts';
export * from './writer.ts';
