import type { SeedSources } from '@bitcrawl/seeder';
import type { UnroutedRow } from '@bitcrawl/storage';

/**
 * What `bitcrawl crawl` says about its round, so that a dead network or a missing proxy does not
 * look like a successful crawl: where the seeds came from, and which networks it could not reach.
 */
export function seedLines(crawlId: string, enqueued: number, s: SeedSources, chain: string): string[] {
  const lines: string[] = [];
  if (s.dnsLookups > 0 && s.dnsFailed === s.dnsLookups)
    lines.push(
      `DNS: every seed lookup failed (${s.dnsFailed} of ${s.dnsLookups}: ${s.dnsError ?? 'no answer'}): ` +
        'no network, or no DNS server reachable (--dns-server IP, or --no-dns with --seed HOST:PORT)',
    );
  else if (s.dnsFailed > 0)
    lines.push(`DNS: ${s.dnsFailed} of ${s.dnsLookups} seed lookups failed (${s.dnsError ?? 'no answer'})`);
  if (s.fixed > 0)
    lines.push(
      `no addresses from DNS or --seed: using Bitcoin Core's ${s.fixed} fixed seeds for ${chain} (a list in the source, many of them stale)`,
    );
  const from = [
    s.given ? `${s.given} from --seed` : '',
    s.dns ? `${s.dns} from DNS` : '',
    s.fixed ? `${s.fixed} fixed seeds` : '',
  ].filter(Boolean);
  lines.push(
    `round ${crawlId}: ${enqueued} seed addresses enqueued${from.length ? ` (${from.join(', ')})` : ''}`,
  );
  return lines;
}

/** The flag that gives this host a way to a network it could not dial. */
const ROUTE_FLAG: Record<string, string> = {
  onion: '--proxy-onion socks5://HOST:PORT (Tor)',
  i2p: '--proxy-i2p socks5://HOST:PORT (i2pd)',
  cjdns: '--cjdns (this host has a CJDNS route), or --proxy-cjdns URL',
};

/** One line per network whose addresses were not dialed for want of a proxy or route. */
export function unroutedLines(rows: UnroutedRow[]): string[] {
  return rows
    .filter((r) => r.addresses > 0)
    .map(
      (r) =>
        `${r.network}: ${r.addresses} addresses not visited: no way to reach ${r.network} from here (${ROUTE_FLAG[r.network] ?? 'see --proxy'})`,
    );
}
