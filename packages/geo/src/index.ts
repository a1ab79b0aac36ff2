export { cloudLookup, loadCloudAsns } from './cloud.ts';
export { GeoDbError } from './errors.ts';
export { loadGeoDb } from './load.ts';
export { MmdbGeo } from './mmdb.ts';
export { GeoDb, type GeoInfo } from './table.ts';
