import type { Network } from '@bitcrawl/model';
import { CHAIN_NAMES, type ChainName } from '@bitcrawl/protocol';
import { z } from 'zod';

export const CRAWLER_VERSION = '0.1.0';

const ms = z.number().int().positive().max(3_600_000);

/** Per-phase timers. Defaults follow measured research crawlers: ~3 s connect on IP, 30 s on Tor, ~70-90 s getaddr. */
export const timeoutsSchema = z.object({
  connectMs: ms.default(3_000),
  handshakeMs: ms.default(10_000),
  getaddrMs: ms.default(75_000),
  /** After the first part of the answer, how long a silence ends the harvest. */
  idleAfterAnswerMs: ms.default(3_000),
  /** Hard cap on one visit, whatever happens. */
  sessionMs: ms.default(120_000),
});
export type Timeouts = z.output<typeof timeoutsSchema>;

const slowNetwork = timeoutsSchema
  .partial()
  .default({ connectMs: 30_000, handshakeMs: 30_000, sessionMs: 180_000 });

export const crawlerConfigSchema = z.object({
  chain: z.enum(CHAIN_NAMES as [ChainName, ...ChainName[]]).default('mainnet'),
  userAgent: z.string().max(256).default(`/bitcrawl:${CRAWLER_VERSION}/`),
  /** Off by default: loopback, RFC 1918 and other non-routable targets are refused (not_dialable). */
  allowPrivate: z.boolean().default(false),
  denyCidrs: z.array(z.string()).default([]),
  /** socks5://host:port for IPv4, IPv6 and onion traffic. */
  proxy: z.string().url().optional(),
  /** Per-network SOCKS5 proxies; onion and i2p are only dialable through one. */
  proxies: z.partialRecord(z.enum(['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns']), z.string().url()).default({}),
  /** The operator says this host routes fc00::/8 over CJDNS; otherwise CJDNS targets are not dialed. */
  cjdnsRoute: z.boolean().default(false),
  timeouts: timeoutsSchema.default(timeoutsSchema.parse({})),
  /** Overrides for networks behind slow overlays. */
  networkTimeouts: z
    .partialRecord(z.enum(['ipv4', 'ipv6', 'onion', 'i2p', 'cjdns']), timeoutsSchema.partial())
    .default({ onion: slowNetwork.parse(undefined), i2p: slowNetwork.parse(undefined) }),
  /** Bounds against hostile peers. */
  maxAddrPerSession: z.number().int().positive().max(100_000).default(5_000),
  maxMessagesPerSession: z.number().int().positive().max(1_000_000).default(5_000),
});

export type CrawlerConfig = z.output<typeof crawlerConfigSchema>;
export type CrawlerConfigInput = z.input<typeof crawlerConfigSchema>;

export function timeoutsFor(config: CrawlerConfig, network: Network): Timeouts {
  return { ...config.timeouts, ...config.networkTimeouts[network] };
}

/** The knobs the CLI flags and service environments expose, in one place. */
export interface CrawlerOptions {
  chain: ChainName;
  allowPrivate?: boolean;
  cjdnsRoute?: boolean;
  denyCidrs?: string[];
  proxy?: string | undefined;
  proxyOnion?: string | undefined;
  proxyI2p?: string | undefined;
  proxyCjdns?: string | undefined;
  connectMs?: number | undefined;
  handshakeMs?: number | undefined;
  getaddrMs?: number | undefined;
  idleAfterAnswerMs?: number | undefined;
}

/** Builds a validated CrawlerConfig from flat options; unset timeouts keep their defaults. */
export function crawlerConfigFrom(o: CrawlerOptions): CrawlerConfig {
  const defined = <T extends object>(obj: T) =>
    Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined && v !== ''));
  return crawlerConfigSchema.parse({
    chain: o.chain,
    allowPrivate: o.allowPrivate ?? false,
    cjdnsRoute: o.cjdnsRoute ?? false,
    denyCidrs: o.denyCidrs ?? [],
    ...defined({ proxy: o.proxy }),
    proxies: defined({ onion: o.proxyOnion, i2p: o.proxyI2p, cjdns: o.proxyCjdns }),
    timeouts: {
      ...timeoutsSchema.parse({}),
      ...defined({
        connectMs: o.connectMs,
        handshakeMs: o.handshakeMs,
        getaddrMs: o.getaddrMs,
        idleAfterAnswerMs: o.idleAfterAnswerMs,
      }),
    },
  });
}
