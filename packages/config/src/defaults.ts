/**
 * The defaults and bounds the libraries share with the knobs: the crawler's timers and
 * transports, the frontier's revisit policy and gossip caps, the crawl-id alphabet, the log
 * levels. Declared here, below every library, so a knob and the library it configures read the
 * same value (config imports nothing of ours but the protocol's chain names).
 */

/** Per-phase visit timers. Measured research crawlers: ~3 s connect on IP, 30 s on Tor, ~70-90 s getaddr. */
export const DEFAULT_TIMEOUTS = {
  connectMs: 3_000,
  handshakeMs: 10_000,
  getaddrMs: 75_000,
  idleAfterAnswerMs: 3_000,
  tentativeIdleMs: 10_000,
  sessionMs: 120_000,
} as const;
/** No visit timer may exceed an hour. */
export const TIMER_MAX_MS = 3_600_000;

/**
 * Which P2P transport visits use. 'v2-first' (the default): BIP324 v2 to a peer that
 * advertises NODE_P2P_V2 (in its gossip entry or at an earlier visit) or whose services are
 * unknown, with Core's v1 fallback when it hangs up before answering our key; v1 to a peer
 * known not to speak v2. 'v1': never v2. 'v2-only': v2 to every peer, no fallback.
 */
export const TRANSPORT_MODES = ['v2-first', 'v1', 'v2-only'] as const;
export type TransportMode = (typeof TRANSPORT_MODES)[number];

/** Default byte budget of one worker process (all its engines together). */
export const DEFAULT_MAX_BUFFERED_BYTES = 32 * 1024 * 1024;

/** When the frontier lets an endpoint be visited again. */
export const DEFAULT_REVISIT = {
  reachableMs: 3_600_000,
  failBaseMs: 3_600_000,
  failMaxMs: 7 * 86_400_000,
} as const;
/** Gossip one round admits: endpoints per host, new addresses per visited peer. */
export const DEFAULT_GOSSIP_CAPS = { perHost: 8, perSource: 1000 } as const;

/** A round id: safe in Redis keys, file names and SQL literals. */
export const CRAWL_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
export const CRAWL_ID_RULE = 'crawl id: 1-64 characters of A-Z a-z 0-9 . _ -';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
