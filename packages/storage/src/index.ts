export * from './migrate.ts';
export * from './queries.ts';
export * from './store.ts';
export * from './writer.ts';
