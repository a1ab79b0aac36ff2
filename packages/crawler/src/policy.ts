import type { Network } from '@bitcrawl/model';
import { classifyAddress } from '@bitcrawl/protocol';
import ipaddr from 'ipaddr.js';
import type { CrawlerConfig } from './config.ts';
import { parseProxyUrl, type Route } from './dial.ts';

export type Decision = { dial: true; route: Route } | { dial: false; reason: string };

export interface Policy {
  decide(target: { network: Network; host: string }): Decision;
}

/**
 * Decides whether and how a target may be dialed. Nothing is dialed that the configuration
 * does not allow: private ranges need allowPrivate, overlays need their proxy, CJDNS needs
 * the operator's word that a route exists.
 */
export function createPolicy(config: CrawlerConfig): Policy {
  const deny = config.denyCidrs.map((c) => {
    try {
      return ipaddr.parseCIDR(c);
    } catch {
      throw new Error(`invalid CIDR in deny-list: "${c}"`);
    }
  });
  const proxyFor = (network: Network): Route | undefined => {
    const url =
      config.proxies[network] ?? (network === 'i2p' || network === 'cjdns' ? undefined : config.proxy);
    return url ? { kind: 'socks5', ...parseProxyUrl(url) } : undefined;
  };

  return {
    decide(target) {
      switch (target.network) {
        case 'onion':
        case 'i2p': {
          const route = proxyFor(target.network);
          return route
            ? { dial: true, route }
            : { dial: false, reason: `no proxy configured for ${target.network}` };
        }
        case 'cjdns':
          if (!config.cjdnsRoute)
            return { dial: false, reason: 'no CJDNS route on this host (set cjdnsRoute)' };
          return { dial: true, route: proxyFor('cjdns') ?? { kind: 'direct' } };
        default: {
          const cls = classifyAddress(target.network, target.host);
          if (cls !== 'routable' && !config.allowPrivate) {
            return { dial: false, reason: `non-routable address (${cls}); set allowPrivate to dial it` };
          }
          if (cls === 'unspecified' || cls === 'multicast' || cls === 'broadcast') {
            return { dial: false, reason: `cannot connect to a ${cls} address` };
          }
          const addr = ipaddr.parse(target.host);
          for (const [range, bits] of deny) {
            if (addr.kind() === range.kind() && addr.match(range, bits)) {
              return { dial: false, reason: `denied by ${range.toString()}/${bits}` };
            }
          }
          return { dial: true, route: proxyFor(target.network) ?? { kind: 'direct' } };
        }
      }
    },
  };
}
