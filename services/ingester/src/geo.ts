import { cloudLookup, type GeoDb, type GeoInfo, loadCloudAsns, loadGeoDb, MmdbGeo } from '@bitcrawl/geo';
import type { Observation } from '@bitcrawl/model';
import { formatDateTime, type NodeGeoRow, type NodeLocationRow } from '@bitcrawl/storage';
import type { Logger } from '@bitcrawl/telemetry';

/** What the ingester needs to enrich a batch: the loaded database and the cloud table. */
export interface GeoEnricher {
  /** The range database (GEOIP_ASN_DB): AS and country. */
  db?: GeoDb;
  /** MaxMind-format databases (GEOIP_CITY_DB): city, coordinates, time zone; AS and country where no range database is given. */
  city?: MmdbGeo;
  cloud: (asn: number) => string | undefined;
}

/** What the enricher knows of an address's AS and country: the range database's answer, else the MMDB's. */
export function asInfo(geo: GeoEnricher, network: string, host: string): GeoInfo | undefined {
  if (geo.db) return geo.db.lookup(network, host);
  const m = geo.city?.lookup(network, host);
  return m ? { asn: m.asn ?? 0, asOrg: m.asOrg ?? '', country: m.country } : undefined;
}

/**
 * Loads the GeoIP/ASN database (and the cloud ASN extension) once, at start, logging its size
 * and load time. A missing or malformed file rejects with a GeoDbError naming the file and
 * line (code GEO_DB_* / CLOUD_ASNS_INVALID), which the CLI reports as a configuration error.
 */
export async function loadGeoEnricher(
  config: { geoDb?: string | undefined; cityDb?: string | undefined; cloudAsns?: string | undefined },
  logger: Logger,
): Promise<GeoEnricher | undefined> {
  if (!config.geoDb && !config.cityDb) return undefined;
  const extra = config.cloudAsns ? await loadCloudAsns(config.cloudAsns) : undefined;
  const out: GeoEnricher = { cloud: cloudLookup(extra) };
  if (config.geoDb) {
    const loaded = await loadGeoDb(config.geoDb);
    logger.info(
      {
        file: config.geoDb,
        ranges: loaded.ranges,
        overlaps: loaded.overlaps,
        loadMs: Math.round(loaded.ms),
        ...(extra ? { cloudAsns: config.cloudAsns, cloudEntries: extra.size } : {}),
      },
      'GeoIP/ASN database loaded',
    );
    out.db = loaded.db;
  }
  if (config.cityDb) {
    out.city = await MmdbGeo.open(config.cityDb.split(',').filter((f) => f !== ''));
    logger.info({ files: out.city.files }, 'MMDB (city) database loaded');
  }
  return out;
}

/**
 * One node_location row per distinct IPv4/IPv6 address in the batch, from the MMDB databases
 * (a no-data row where they know nothing, so a newer database's silence replaces an older answer).
 */
export function locationRows(batch: readonly VisitedAddress[], geo: GeoEnricher): NodeLocationRow[] {
  if (!geo.city) return [];
  const rows: NodeLocationRow[] = [];
  for (const o of newestPerAddress(batch).values()) {
    const m = geo.city.lookup(o.network, o.host);
    rows.push({
      network: o.network,
      host: o.host,
      city: m?.city ?? '',
      region: m?.region ?? '',
      country: m?.country ?? '',
      latitude: m?.latitude ?? 0,
      longitude: m?.longitude ?? 0,
      has_location: m?.latitude !== undefined ? 1 : 0,
      timezone: m?.timezone ?? '',
      updated: formatDateTime(o.ts),
    });
  }
  return rows;
}

/** The newest visit of each distinct IPv4/IPv6 address in a batch. */
function newestPerAddress(batch: readonly VisitedAddress[]): Map<string, VisitedAddress> {
  const newest = new Map<string, VisitedAddress>();
  for (const o of batch) {
    if (o.network !== 'ipv4' && o.network !== 'ipv6') continue;
    const key = `${o.network}|${o.host}`;
    const seen = newest.get(key);
    if (!seen || seen.ts < o.ts) newest.set(key, o);
  }
  return newest;
}

/** What geoRows needs of a visit (an Observation is one). */
export type VisitedAddress = Pick<Observation, 'network' | 'host' | 'ts'>;

/**
 * One node_geo row per distinct IPv4/IPv6 address in the batch. An address the database has no
 * data for gets a no-data row (asn 0, empty strings: what every reader already shows as "no
 * data") when `noData` is set, else none. The no-data row is what lets a newer database's
 * "nothing known" replace an older database's answer; without it the old answer stayed newest.
 * `updated` is the address's newest visit in the batch, so a re-delivered batch writes
 * identical rows.
 */
export function geoRows(
  batch: readonly VisitedAddress[],
  geo: GeoEnricher,
  opts: { noData?: boolean } = {},
): NodeGeoRow[] {
  const rows: NodeGeoRow[] = [];
  for (const o of newestPerAddress(batch).values()) {
    const info = asInfo(geo, o.network, o.host);
    if (!info && !opts.noData) continue;
    rows.push({
      network: o.network,
      host: o.host,
      asn: info?.asn ?? 0,
      as_org: info?.asOrg ?? '',
      country: info?.country ?? '',
      cloud: info ? (geo.cloud(info.asn) ?? '') : '',
      updated: formatDateTime(o.ts),
    });
  }
  return rows;
}
