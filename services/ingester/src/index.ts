export * from './geo.ts';
export * from './geo-backfill.ts';
export * from './ingester.ts';
export { ingesterEnvSchema, main } from './main.ts';
export { type IngestThread, startIngestThread } from './thread.ts';
