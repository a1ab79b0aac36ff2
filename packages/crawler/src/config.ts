import {
  DEFAULT_TIMEOUTS as TIMER_DEFAULTS,
  TIMER_MAX_MS,
  TRANSPORT_MODES,
  type TransportMode,
} from '@bitcrawl/config/defaults';
import { NETWORKS, type Network } from '@bitcrawl/model';
import { CHAIN_NAMES, type ChainName } from '@bitcrawl/protocol';
import { z } from 'zod';
import { DEFAULT_MAX_BUFFERED_BYTES } from './byte-budget.ts';
import { parseProxyUrl } from './dial.ts';

export const CRAWLER_VERSION = '0.1.0';

const ms = z.number().int().positive().max(TIMER_MAX_MS);

/** Per-phase timers. Defaults follow measured research crawlers: ~3 s connect on IP, 30 s on Tor, ~70-90 s getaddr. */
export const timeoutsSchema = z.object({
  connectMs: ms.default(TIMER_DEFAULTS.connectMs),
  handshakeMs: ms.default(TIMER_DEFAULTS.handshakeMs),
  getaddrMs: ms.default(TIMER_DEFAULTS.getaddrMs),
  /** After the first part of a large (> 10 entries) answer, how long a silence ends the harvest. */
  idleAfterAnswerMs: ms.default(TIMER_DEFAULTS.idleAfterAnswerMs),
  /**
   * After a small (1-10 entries) message following getaddr, how long to wait for something
   * larger before taking the small messages as the answer. Core answers getaddr promptly and
   * in one message; relays come at random times, so a few seconds of silence settle it.
   */
  tentativeIdleMs: ms.default(TIMER_DEFAULTS.tentativeIdleMs),
  /** Hard cap on one visit, whatever happens. Unless set, at least connect + handshake + getaddr + idle. */
  sessionMs: ms.default(TIMER_DEFAULTS.sessionMs),
});
export type Timeouts = z.output<typeof timeoutsSchema>;

export const DEFAULT_TIMEOUTS: Timeouts = timeoutsSchema.parse({});

/**
 * Built-in floors for networks behind slow overlays (building a Tor circuit or an I2P tunnel
 * takes seconds). A global timeout may raise them but never lower them, so tightening the IP
 * connect timeout cannot quietly fail every onion visit; `networkTimeouts` sets any value.
 */
export const NETWORK_DEFAULT_TIMEOUTS: Partial<Record<Network, Partial<Timeouts>>> = {
  onion: { connectMs: 30_000, handshakeMs: 30_000, sessionMs: 180_000 },
  i2p: { connectMs: 30_000, handshakeMs: 30_000, sessionMs: 180_000 },
};

const partialTimeouts = z
  .object({
    connectMs: ms,
    handshakeMs: ms,
    getaddrMs: ms,
    idleAfterAnswerMs: ms,
    tentativeIdleMs: ms,
    sessionMs: ms,
  })
  .partial();
type PartialTimeouts = z.output<typeof partialTimeouts>;

const networkEnum = z.enum(NETWORKS);

/** socks5://[user:pass@]host:port, socks5h://... or socks4://[user@]host:port, checked when the config is parsed. */
export const proxyUrlSchema = z.string().superRefine((url, ctx) => {
  try {
    parseProxyUrl(url);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/** Which P2P transport visits use (see the TRANSPORT knob). */
export { TRANSPORT_MODES, type TransportMode };

const configObject = z.object({
  chain: z.enum(CHAIN_NAMES as [ChainName, ...ChainName[]]).default('mainnet'),
  userAgent: z.string().max(256).default(`/bitcrawl:${CRAWLER_VERSION}/`),
  /** Off by default: loopback, RFC 1918 and other non-routable targets are refused (not_dialable). */
  allowPrivate: z.boolean().default(false),
  /** Off by default: gossiped IPv4/IPv6 addresses on Core's bad ports (policy.ts) are not dialed. */
  allowBadPorts: z.boolean().default(false),
  denyCidrs: z.array(z.string()).default([]),
  /** SOCKS proxy for IPv4, IPv6 and onion traffic. */
  proxy: proxyUrlSchema.optional(),
  /** Per-network SOCKS proxies; onion and i2p are only dialable through one. */
  proxies: z.partialRecord(networkEnum, proxyUrlSchema).default({}),
  /** The operator says this host routes fc00::/8 over CJDNS; otherwise CJDNS targets are not dialed. */
  cjdnsRoute: z.boolean().default(false),
  /** Timers for every network; what is given here beats the built-in per-network defaults. */
  timeouts: partialTimeouts.default({}),
  /** Per-network overrides; these beat everything else. */
  networkTimeouts: z.partialRecord(networkEnum, partialTimeouts).default({}),
  /** Bounds against hostile peers. An Observation carries at most 10,000 addresses. */
  maxAddrPerSession: z.number().int().positive().max(10_000).default(5_000),
  maxMessagesPerSession: z.number().int().positive().max(1_000_000).default(5_000),
  transport: z.enum(TRANSPORT_MODES).default('v2-first'),
  /**
   * Bytes of unfinished peer frames this engine may hold across all its sessions (byte-budget.ts);
   * a worker's budget is split between its engines by their share of CONCURRENCY.
   */
  maxBufferedBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .max(16 * 1024 ** 3)
    .default(DEFAULT_MAX_BUFFERED_BYTES),
});

/**
 * Resolves the timers of every network: `networkTimeouts[network]` wins; otherwise `timeouts`,
 * but never below the slow-overlay floors; otherwise the built-in defaults.
 * A sessionMs nobody set grows to fit connect + handshake + getaddr + idle; one that was set
 * must leave room for the getaddr wait, or the config is rejected (no silent capping).
 */
function resolveTimeouts(
  global: PartialTimeouts,
  perNetwork: Partial<Record<Network, PartialTimeouts>>,
  ctx: z.RefinementCtx,
): Record<Network, Timeouts> {
  const out = {} as Record<Network, Timeouts>;
  for (const network of NETWORKS) {
    const own = perNetwork[network] ?? {};
    const floor = NETWORK_DEFAULT_TIMEOUTS[network] ?? {};
    const t: Timeouts = { ...DEFAULT_TIMEOUTS, ...floor, ...global, ...own };
    for (const k of Object.keys(floor) as (keyof Timeouts)[]) {
      if (own[k] === undefined) t[k] = Math.max(t[k], floor[k] as number);
    }
    const sessionGiven = own.sessionMs !== undefined || global.sessionMs !== undefined;
    if (!sessionGiven) {
      t.sessionMs = Math.max(
        t.sessionMs,
        t.connectMs + t.handshakeMs + t.getaddrMs + Math.max(t.idleAfterAnswerMs, t.tentativeIdleMs),
      );
    } else if (t.getaddrMs >= t.sessionMs) {
      ctx.addIssue({
        code: 'custom',
        path:
          own.sessionMs !== undefined ? ['networkTimeouts', network, 'sessionMs'] : ['timeouts', 'sessionMs'],
        message: `getaddrMs (${t.getaddrMs}) must be less than sessionMs (${t.sessionMs}) for ${network}`,
      });
    }
    out[network] = t;
  }
  return out;
}

export const crawlerConfigSchema = configObject.transform((c, ctx) => {
  const networkTimeouts = resolveTimeouts(c.timeouts, c.networkTimeouts, ctx);
  return { ...c, timeouts: networkTimeouts.ipv4, networkTimeouts };
});

/** The parsed config: `timeouts` is what IPv4 uses; `networkTimeouts` holds the resolved timers of every network. */
export type CrawlerConfig = z.output<typeof crawlerConfigSchema>;
export type CrawlerConfigInput = z.input<typeof crawlerConfigSchema>;

export function timeoutsFor(config: CrawlerConfig, network: Network): Timeouts {
  return config.networkTimeouts[network];
}
