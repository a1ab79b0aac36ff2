export { ingesterConfigFrom } from './config.ts';
export { loadGeoEnricher } from './geo.ts';
export { backfillGeo } from './geo-backfill.ts';
export { type IngesterConfig, IngesterError, ingesterConfigSchema, startIngester } from './ingester.ts';
export { main } from './main.ts';
export { start } from './start.ts';
export { startIngestThread } from './thread.ts';
