import { readFile } from 'node:fs/promises';
import { GeoDbError } from './errors.ts';

/**
 * Well-known cloud and hosting providers by AS number. A heuristic: an AS tells who routes an
 * address, not that the machine is a rented VM (Google's 15169 also carries Google's own
 * services; Hetzner and OVH sell dedicated servers too), so "cloud share" means "share of
 * nodes in these providers' networks". Only ASNs the maintainers are sure of are listed; users
 * extend or override it with a JSON file (CLOUD_ASNS / --cloud-asns, see parseCloudAsns).
 */
export const CLOUD_ASNS: ReadonlyMap<number, string> = new Map([
  [16509, 'Amazon AWS'],
  [14618, 'Amazon AWS'],
  [15169, 'Google'], // Google's main AS: Google Cloud and Google's own services
  [396982, 'Google'], // GOOGLE-CLOUD-PLATFORM
  [19527, 'Google'],
  [8075, 'Microsoft Azure'],
  [24940, 'Hetzner'],
  [213230, 'Hetzner'], // Hetzner Cloud
  [16276, 'OVH'],
  [14061, 'DigitalOcean'],
  [63949, 'Akamai/Linode'],
  [45102, 'Alibaba Cloud'],
  [37963, 'Alibaba Cloud'],
  [31898, 'Oracle Cloud'],
  [51167, 'Contabo'],
  [141995, 'Contabo'],
  [20473, 'Vultr'], // AS-CHOOPA
  [132203, 'Tencent Cloud'],
  [45090, 'Tencent Cloud'],
  [12876, 'Scaleway'],
  [8560, 'IONOS'],
  [60781, 'Leaseweb'],
  [16265, 'Leaseweb'],
  [197540, 'netcup'],
  [13335, 'Cloudflare'],
]);

/** The built-in provider name for an AS number, or undefined. */
export function cloudProvider(asn: number): string | undefined {
  return CLOUD_ASNS.get(asn);
}

/**
 * The built-in table with a user's additions: `{ "<asn>": "<provider>" }`; a provider of ""
 * removes a built-in entry (for users who do not count, say, Google's main AS as cloud).
 */
export function cloudLookup(extra?: ReadonlyMap<number, string>): (asn: number) => string | undefined {
  if (!extra || extra.size === 0) return cloudProvider;
  const merged = new Map(CLOUD_ASNS);
  for (const [asn, name] of extra) {
    if (name === '') merged.delete(asn);
    else merged.set(asn, name);
  }
  return (asn) => merged.get(asn);
}

/** Validates the extension file's JSON text; errors are CLOUD_ASNS_INVALID naming the file. */
export function parseCloudAsns(text: string, file = '(cloud ASNs)'): Map<number, string> {
  const bad = (why: string): never => {
    throw new GeoDbError('CLOUD_ASNS_INVALID', `${why} (expected {"<asn>": "<provider>", ...})`, { file });
  };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('not a JSON object');
  const out = new Map<number, string>();
  const keyOf = new Map<number, string>();
  for (const [k, v] of Object.entries(json)) {
    const asn = Number(k.replace(/^AS/i, ''));
    if (!/^(AS)?\d{1,10}$/i.test(k) || asn > 0xffff_ffff) bad(`bad AS number "${k}"`);
    if (typeof v !== 'string' || v.length > 100)
      bad(`provider for "${k}" must be a string of at most 100 characters`);
    // "64500", "AS64500" and "0064500" are one AS: two of them would silently keep the last.
    const earlier = keyOf.get(asn);
    if (earlier !== undefined) bad(`"${earlier}" and "${k}" name the same AS ${asn}`);
    keyOf.set(asn, k);
    // Only "" removes a built-in entry; a name of blanks is a mistake, not a removal.
    const name = (v as string).trim();
    if (name === '' && v !== '') bad(`provider for "${k}" is blank (use "" to remove a built-in entry)`);
    out.set(asn, name);
  }
  return out;
}

export async function loadCloudAsns(file: string): Promise<Map<number, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new GeoDbError('GEO_DB_UNREADABLE', `cannot read: ${(err as Error).message}`, { file });
  }
  return parseCloudAsns(text, file);
}
