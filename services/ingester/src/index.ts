export { type IngesterServiceConfig, ingesterConfigFrom } from './config.ts';
export * from './geo.ts';
export * from './geo-backfill.ts';
export * from './ingester.ts';
export { main } from './main.ts';
export { start } from './start.ts';
export { type IngestThread, startIngestThread } from './thread.ts';
