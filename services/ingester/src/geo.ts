import { cloudLookup, type GeoDb, loadCloudAsns, loadGeoDb } from '@bitcrawl/geo';
import type { Observation } from '@bitcrawl/model';
import { formatDateTime, type NodeGeoRow } from '@bitcrawl/storage';
import type { Logger } from '@bitcrawl/telemetry';

/** What the ingester needs to enrich a batch: the loaded database and the cloud table. */
export interface GeoEnricher {
  db: GeoDb;
  cloud: (asn: number) => string | undefined;
}

/**
 * Loads the GeoIP/ASN database (and the cloud ASN extension) once, at start, logging its size
 * and load time. A missing or malformed file rejects with a GeoDbError naming the file and
 * line (code GEO_DB_* / CLOUD_ASNS_INVALID), which the CLI reports as a configuration error.
 */
export async function loadGeoEnricher(
  config: { geoDb?: string | undefined; cloudAsns?: string | undefined },
  logger: Logger,
): Promise<GeoEnricher | undefined> {
  if (!config.geoDb) return undefined;
  const extra = config.cloudAsns ? await loadCloudAsns(config.cloudAsns) : undefined;
  const loaded = await loadGeoDb(config.geoDb);
  logger.info(
    {
      file: config.geoDb,
      ranges: loaded.ranges,
      loadMs: Math.round(loaded.ms),
      ...(extra ? { cloudAsns: config.cloudAsns, cloudEntries: extra.size } : {}),
    },
    'GeoIP/ASN database loaded',
  );
  return { db: loaded.db, cloud: cloudLookup(extra) };
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
  const newest = new Map<string, VisitedAddress>();
  for (const o of batch) {
    if (o.network !== 'ipv4' && o.network !== 'ipv6') continue;
    const key = `${o.network}|${o.host}`;
    const seen = newest.get(key);
    if (!seen || seen.ts < o.ts) newest.set(key, o);
  }
  const rows: NodeGeoRow[] = [];
  for (const o of newest.values()) {
    const info = geo.db.lookup(o.network, o.host);
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
