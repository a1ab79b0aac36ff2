import { CHAIN_NAMES, type ChainName, chainByName } from '@bitcrawl/protocol';
import { z } from 'zod';
import {
  DEFAULT_GOSSIP_CAPS,
  DEFAULT_MAX_BUFFERED_BYTES,
  DEFAULT_REVISIT,
  DEFAULT_TIMEOUTS,
  TIMER_MAX_MS,
  TRANSPORT_MODES,
} from './defaults.ts';
import { bool, int, list, oneOf, text } from './knob.ts';

const ms = { min: 1, max: TIMER_MAX_MS, unit: 'milliseconds' } as const;
const visiting = { worker: {}, crawl: {}, visit: {} } as const;
const timerUses = { worker: {}, crawl: { env: true }, visit: { env: true } } as const;
// Proxy URLs are checked by the crawler's config (parseProxyUrl), the error named by the knob.

/** A chain's name (testnet3 taken as testnet's), with the protocol's message for an unknown one. */
const chainName = z.string().transform((name, ctx): ChainName => {
  try {
    return chainByName(name).name;
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** The knobs of a visit (the crawler library's config) and of the worker around it. */
export const CRAWLER_KNOBS = {
  chain: {
    ...oneOf(CHAIN_NAMES as readonly ChainName[] as readonly [ChainName, ...ChainName[]], {
      env: 'CHAIN',
      flag: '--network <name>',
      help: 'the chain: mainnet, testnet (or testnet3), testnet4, signet or regtest',
      default: 'mainnet',
      uses: { worker: {}, seeder: {}, crawl: {}, visit: {}, decode: {} },
      to: ['crawler.chain', 'seeder.chain'],
    }),
    parse: chainName,
  },
  concurrency: int({
    env: 'CONCURRENCY',
    flag: '--concurrency <n>',
    help: "concurrent sessions: visits whose dial connected (lowered to what `ulimit -n` allows, with a warning); a worker's threads share them",
    min: 1,
    max: 10_000,
    default: 500,
    uses: { worker: {}, crawl: { default: 2000 } },
    to: ['worker.concurrency'],
  }),
  pendingDials: int({
    env: 'PENDING_DIALS',
    flag: '--pending-dials <n>',
    help: "dials waiting to connect at once beyond CONCURRENCY: an unanswered dial holds a socket and a timer, no CPU (lowered first to what `ulimit -n` allows); a worker's threads share them",
    min: 0,
    max: 50_000,
    default: 1500,
    uses: { worker: {}, crawl: { default: 2000 } },
    to: ['worker.pendingDials'],
  }),
  threads: int({
    env: 'THREADS',
    flag: '--threads <n>',
    help: 'crawl engines (event loops) in one worker process, each its own BullMQ consumer with its share of CONCURRENCY (at most CONCURRENCY)',
    min: 1,
    max: 64,
    default: 1,
    uses: { worker: {}, crawl: {} },
  }),
  // Off for the worker service: at its 500 visits the loop is not what bounds a round, and the
  // thread's isolate cost ~100 MB of RSS (measured on M: 384 / 324 MB against 248 / 279).
  commitThread: bool({
    env: 'COMMIT_THREAD',
    flag: '--no-commit-thread',
    help: 'commit each visit (record it, admit its answer, enqueue what is new) on a thread of its own, off the event loop of its visits (crawl --no-commit-thread: on it)',
    default: false,
    uses: { worker: {}, crawl: { default: true } },
    to: ['worker.commitThread'],
  }),
  allowPrivate: bool({
    env: 'ALLOW_PRIVATE',
    flag: '--allow-private',
    help: 'dial loopback and private targets (simnets, labs)',
    default: false,
    uses: { ...visiting, stack: {} },
    to: ['crawler.allowPrivate'],
  }),
  allowBadPorts: bool({
    env: 'ALLOW_BAD_PORTS',
    help: "dial gossiped addresses on Core's bad ports",
    default: false,
    uses: { worker: {} },
    to: ['crawler.allowBadPorts'],
  }),
  denyCidrs: list({
    env: 'DENY_CIDRS',
    help: 'address ranges never dialed (comma-separated CIDRs)',
    default: [],
    uses: { worker: {} },
    to: ['crawler.denyCidrs'],
  }),
  proxy: text({
    env: 'PROXY',
    flag: '--proxy <url>',
    help: 'SOCKS proxy for all IPv4/IPv6/onion traffic (socks5://[user:pass@]host:port, socks5h://, socks4://)',
    uses: visiting,
    to: ['crawler.proxy'],
  }),
  proxyOnion: text({
    env: 'PROXY_ONION',
    flag: '--proxy-onion <url>',
    aliases: ['--onion-proxy <url>'],
    help: 'SOCKS proxy for .onion (Tor)',
    uses: visiting,
    to: ['crawler.proxies.onion'],
  }),
  proxyI2p: text({
    env: 'PROXY_I2P',
    flag: '--proxy-i2p <url>',
    aliases: ['--i2p-proxy <url>'],
    help: 'SOCKS proxy for .b32.i2p (i2pd)',
    uses: visiting,
    to: ['crawler.proxies.i2p'],
  }),
  proxyCjdns: text({
    env: 'PROXY_CJDNS',
    flag: '--proxy-cjdns <url>',
    help: 'SOCKS proxy for CJDNS addresses (with --cjdns)',
    uses: visiting,
    to: ['crawler.proxies.cjdns'],
  }),
  cjdnsRoute: bool({
    env: 'CJDNS_ROUTE',
    flag: '--cjdns',
    help: 'this host routes fc00::/8 over CJDNS (otherwise CJDNS targets are not dialed)',
    default: false,
    uses: visiting,
    to: ['crawler.cjdnsRoute'],
  }),
  transport: oneOf(TRANSPORT_MODES, {
    env: 'TRANSPORT',
    flag: '--transport <mode>',
    help: 'v2-first (BIP324 v2 to nodes that may take it, v1 fallback), v1 or v2-only',
    default: 'v2-first',
    uses: timerUses,
    to: ['crawler.transport'],
  }),
  connectMs: int({
    env: 'CONNECT_TIMEOUT_MS',
    flag: '--connect-timeout <ms>',
    help: `connect timeout (default ${DEFAULT_TIMEOUTS.connectMs}; Tor/I2P at least 30000, which this can raise, not lower)`,
    ...ms,
    uses: timerUses,
    to: ['crawler.timeouts.connectMs'],
  }),
  handshakeMs: int({
    env: 'HANDSHAKE_TIMEOUT_MS',
    flag: '--handshake-timeout <ms>',
    help: `handshake timeout (default ${DEFAULT_TIMEOUTS.handshakeMs}; Tor/I2P at least 30000)`,
    ...ms,
    uses: timerUses,
    to: ['crawler.timeouts.handshakeMs'],
  }),
  getaddrMs: int({
    env: 'GETADDR_TIMEOUT_MS',
    flag: '--getaddr-timeout <ms>',
    help: `how long to wait for a getaddr answer (default ${DEFAULT_TIMEOUTS.getaddrMs})`,
    ...ms,
    uses: timerUses,
    to: ['crawler.timeouts.getaddrMs'],
  }),
  idleAfterAnswerMs: int({
    env: 'IDLE_TIMEOUT_MS',
    flag: '--idle-timeout <ms>',
    help: `silence that ends a large answer (default ${DEFAULT_TIMEOUTS.idleAfterAnswerMs})`,
    ...ms,
    uses: timerUses,
    to: ['crawler.timeouts.idleAfterAnswerMs'],
  }),
  tentativeIdleMs: int({
    env: 'TENTATIVE_IDLE_MS',
    flag: '--tentative-idle-timeout <ms>',
    help: `after a small (1-10 entry) answer, how long to wait for more (default ${DEFAULT_TIMEOUTS.tentativeIdleMs})`,
    ...ms,
    uses: timerUses,
    to: ['crawler.timeouts.tentativeIdleMs'],
  }),
  sessionMs: int({
    env: 'SESSION_TIMEOUT_MS',
    flag: '--session-timeout <ms>',
    help: `cap on one visit, whatever happens (default ${DEFAULT_TIMEOUTS.sessionMs} or the sum of the other timers; Tor/I2P 180000)`,
    ...ms,
    uses: timerUses,
    to: ['crawler.timeouts.sessionMs'],
  }),
  maxBufferedBytes: int({
    env: 'MAX_BUFFERED_BYTES',
    help: 'bytes of unfinished peer frames the whole worker process may hold (split between its threads)',
    min: 1024 * 1024,
    max: 16 * 1024 ** 3,
    default: DEFAULT_MAX_BUFFERED_BYTES,
    uses: { worker: {} },
    to: ['crawler.maxBufferedBytes'],
  }),
  maxEndpointsPerIp: int({
    env: 'MAX_ENDPOINTS_PER_IP',
    help: 'endpoints (ports) of one host a round visits; gossip naming more is not_dialable',
    min: 1,
    default: DEFAULT_GOSSIP_CAPS.perHost,
    uses: { worker: {} },
    to: ['frontier.gossipCaps.perHost'],
  }),
  maxNewPerSource: int({
    env: 'MAX_NEW_PER_SOURCE',
    help: 'new addresses one visited peer may add to a round',
    min: 1,
    default: DEFAULT_GOSSIP_CAPS.perSource,
    uses: { worker: {} },
    to: ['frontier.gossipCaps.perSource'],
  }),
  lockDurationMs: int({
    env: 'LOCK_DURATION_MS',
    help: "a visit's job lock, outlasting the longest event-loop stall; a killed worker's jobs return within about 2 x this (crawl: one process, nobody takes a lapsed job over)",
    min: 1000,
    default: 10_000,
    uses: { worker: {}, crawl: { default: 30_000 } },
    to: ['worker.lockDurationMs'],
  }),
  stalledIntervalMs: int({
    env: 'STALLED_INTERVAL_MS',
    help: "how often BullMQ looks for a dead worker's jobs",
    min: 1000,
    default: 5_000,
    uses: { worker: {}, crawl: { default: 15_000 } },
    to: ['worker.stalledIntervalMs'],
  }),
  shutdownGraceMs: int({
    env: 'SHUTDOWN_GRACE_MS',
    help: 'on SIGTERM, how long in-flight visits may finish before their jobs go back to the queue',
    min: 0,
    default: 20_000,
    uses: { worker: {}, crawl: { default: 5_000 } },
    to: ['worker.shutdownGraceMs'],
  }),
  maxIngestBacklog: int({
    env: 'MAX_INGEST_BACKLOG',
    help: 'no new visits while more observations than this wait for the ingester (0: never)',
    min: 0,
    default: 20_000,
    uses: { worker: {} },
    to: ['worker.maxIngestBacklog'],
  }),
  revisitReachableMs: int({
    env: 'REVISIT_REACHABLE_MS',
    help: 'a reachable node is visited again after this',
    min: 0,
    default: DEFAULT_REVISIT.reachableMs,
    uses: { worker: {} },
    to: ['frontier.reachableMs'],
  }),
  revisitFailBaseMs: int({
    env: 'REVISIT_FAIL_BASE_MS',
    help: 'first back-off after a failed visit, doubling up to REVISIT_FAIL_MAX_MS',
    min: 0,
    default: DEFAULT_REVISIT.failBaseMs,
    uses: { worker: {} },
    to: ['frontier.failBaseMs'],
  }),
  revisitFailMaxMs: int({
    env: 'REVISIT_FAIL_MAX_MS',
    help: 'the longest failure back-off; the seeder prunes revisit state older than this, or than 30 d, at each round',
    min: 1,
    default: DEFAULT_REVISIT.failMaxMs,
    uses: { worker: {}, seeder: {} },
    to: ['frontier.failMaxMs'],
  }),
} as const;
