export * from './cloud.ts';
export * from './errors.ts';
export * from './ip.ts';
export * from './load.ts';
export * from './mmdb.ts';
export * from './parse.ts';
export * from './table.ts';
