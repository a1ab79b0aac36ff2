import { CHAIN_NAMES, type ChainName } from '@bitcrawl/protocol';
import { z } from 'zod';

/** Behaviours a simulated node can have; each maps to one crawler outcome. */
export const NODE_KINDS = [
  'core',
  'legacy',
  'silent',
  'slowloris',
  'garbage',
  'bad_checksum',
  'wrong_magic',
  'oversized',
  'reset_after_version',
  'addr_flood',
  'blackhole',
] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/**
 * Transports of the Core-like nodes (kind core, and the IPv6 and overlay nodes): 'v2' speaks
 * BIP324 and v1 (Core 26+), 'v1' only v1 and does not advertise NODE_P2P_V2, 'v1_claims_v2'
 * only v1 but advertises NODE_P2P_V2 anyway, and resets on a v2 key. Other kinds are v1.
 */
export const TRANSPORT_KINDS = ['v2', 'v1', 'v1_claims_v2'] as const;
export type TransportKind = (typeof TRANSPORT_KINDS)[number];

/**
 * What `bitcrawl simnet` runs without a spec file: every node kind among the IPv4 nodes and
 * nodes of every network, so a demo crawl meets every outcome. A spec file starts from the
 * schema's defaults instead (IPv4 Core nodes only), so nothing it does not ask for appears.
 */
export const DEMO_SPEC = {
  kinds: {
    core: 8,
    legacy: 1,
    silent: 0.2,
    slowloris: 0.1,
    garbage: 0.2,
    bad_checksum: 0.2,
    wrong_magic: 0.2,
    oversized: 0.2,
    reset_after_version: 0.2,
    addr_flood: 0.2,
    blackhole: 0.1,
  } satisfies Record<NodeKind, number>,
  ipv6: 10,
  onion: 10,
  i2p: 5,
  cjdns: 5,
  transports: { v2: 6, v1: 3, v1_claims_v2: 1 } satisfies Record<TransportKind, number>,
} as const;

const fraction = z.number().min(0).max(1);
const DEFAULT_AGENTS: Record<string, number> = {
  '/Satoshi:31.0.0/': 1,
  '/Satoshi:30.2.0/': 1,
  '/Satoshi:29.1.0/': 1,
  '/Satoshi:28.1.0/': 1,
  '/Satoshi:27.2.0/': 1,
};
/** NETWORK|WITNESS|NETWORK_LIMITED|P2P_V2 and its common subsets. */
const DEFAULT_SERVICES = [0xc09, 0x409, 0xc49, 0x449, 0x809];
const range = (max: number) =>
  z
    .object({ min: z.number().int().min(0).max(max), max: z.number().int().min(0).max(max) })
    .refine((r) => r.min <= r.max, { message: 'min must be <= max' });

export const simnetSpecSchema = z
  .object({
    /** Same spec and seed, same network. */
    seed: z.number().int().default(1),
    chain: z.enum(CHAIN_NAMES as [ChainName, ...ChainName[]]).default('mainnet'),
    /** Listening nodes on 127.x.y.z:<port> (IPv4), of the kinds below. */
    nodes: z.number().int().min(1).max(20_000).default(100),
    /** Relative weights of node kinds among the IPv4 nodes. */
    kinds: z.partialRecord(z.enum(NODE_KINDS), z.number().min(0)).default({ core: 1 }),
    /** Relative weights of the Core-like nodes' transports (see TRANSPORT_KINDS). */
    transports: z
      .partialRecord(z.enum(TRANSPORT_KINDS), z.number().min(0))
      .refine((t) => Object.values(t).some((w) => (w ?? 0) > 0), {
        message: 'transports needs a positive weight',
      })
      .default({ v1: 1 }),
    /**
     * Exact number of IPv4 nodes of each kind, instead of `nodes` and `kinds` (weights only give
     * counts near the asked ones). Needs a Core-like node for the seed.
     */
    counts: z
      .partialRecord(z.enum(NODE_KINDS), z.number().int().min(0))
      .refine((c) => (c.core ?? 0) >= 1, { message: 'counts needs at least one core node (the seed)' })
      .refine((c) => Object.values(c).reduce((s: number, n) => s + (n ?? 0), 0) <= 20_000, {
        message: 'counts add up to more than 20,000 nodes',
      })
      .optional(),
    /** Extra Core-like nodes: IPv6 on ::1, and overlay nodes behind the simnet's SOCKS5 front door. */
    ipv6: z.number().int().min(0).max(2_000).default(0),
    onion: z.number().int().min(0).max(2_000).default(0),
    i2p: z.number().int().min(0).max(2_000).default(0),
    cjdns: z.number().int().min(0).max(2_000).default(0),
    /** Fraction of all advertised addresses that have nothing behind them (below 1: someone must listen). */
    unreachableFraction: z.number().min(0).max(0.95).default(0.3),
    /** Exact number of advertised addresses with nothing behind them (refused), instead of unreachableFraction. */
    dead: z.number().int().min(0).max(100_000).optional(),
    /**
     * Advertised IPv4 addresses in DROPPED_RANGE whose SYNs go unanswered (connect_timeout).
     * The simnet binds nothing for them: the host must drop SYNs to that range (one iptables
     * rule, in a network namespace); without the rule they refuse at once. Unlike blackhole
     * nodes this holds no socket per address, so it scales to tens of thousands.
     */
    dropped: z.number().int().min(0).max(64_000).default(0),
    /**
     * Whether the ground truth keeps every gossip edge (each node's answer). Off, the answers are
     * still served and counted, but the ground truth file holds only each node's answer size:
     * millions of edges are more than a benchmark needs to write and read.
     */
    truthEdges: z.boolean().default(true),
    /**
     * Size of each answering node's address table. As in Core, the getaddr answer is 23% of it
     * rounded down, at most 1000, so a table under 5 gives no answer at all (legacy nodes get
     * at least 144, so that each of their 3 answer parts exceeds a 10-entry relay).
     */
    table: range(200_000).default({ min: 40, max: 400 }),
    /** What Core-like nodes say in their version message. */
    versions: z
      .object({
        /** User agent: relative weight. */
        agents: z.record(z.string().min(1).max(256), z.number().min(0)).default(DEFAULT_AGENTS),
        /** Service bits, each as likely. */
        services: z.array(z.number().int().min(0)).min(1).default(DEFAULT_SERVICES),
        startHeight: range(10_000_000).default({ min: 880_000, max: 925_000 }),
        /** Fraction that set the relay flag. */
        relay: fraction.default(0.9),
      })
      .refine((v) => Object.values(v.agents).some((w) => w > 0), {
        message: 'agents needs a positive weight',
      })
      .default({
        agents: DEFAULT_AGENTS,
        services: DEFAULT_SERVICES,
        startHeight: { min: 880_000, max: 925_000 },
        relay: 0.9,
      }),
    /**
     * Unix seconds: when set, advertised address times lie 0-12 h or 36-48 h before it (half
     * each) instead of fixed times in 2023, so "gossiped within 24 h" can be tested.
     */
    recentAddrTimesAt: z.number().int().min(172_800).max(4_000_000_000).optional(),
    /** One-way delay before each burst a node writes, uniform in [min, max] ms. */
    latencyMs: range(10_000).default({ min: 0, max: 0 }),
    /** Fraction of Core-like nodes that announce themselves (one-entry addr) before answering. */
    selfAnnounce: fraction.default(0.5),
    /** The simnet stops itself after this long. */
    durationMs: z
      .number()
      .int()
      .positive()
      .max(24 * 3_600_000)
      .default(600_000),
    /** Port of every IPv4 node (distinct 127.x.y.z addresses); IPv6 nodes use distinct ports from ipv6BasePort. */
    port: z.number().int().min(1).max(65535).default(8333),
    /**
     * IPv6 nodes listen on ::1 from here (up to 2,000 ports), dead ones are dialed from here +
     * 5,000. Below Linux's ephemeral range (32768-60999) by default: a server started on a free
     * port (port 0) or an outgoing connection's local port is never one of these, so a node's
     * listen cannot collide with them, nor a "dead" port turn out to be served.
     */
    ipv6BasePort: z.number().int().min(1024).max(60_000).default(20_000),
  })
  .refine((s) => Object.values(s.kinds).some((w) => (w ?? 0) > 0), {
    message: 'kinds needs a positive weight',
  });

/** Where `dropped` addresses live: 127.150.0.0/16 (a host rule drops SYNs to it). */
export const DROPPED_RANGE = '127.150.0.0/16';

export type SimnetSpec = z.output<typeof simnetSpecSchema>;
export type SimnetSpecInput = z.input<typeof simnetSpecSchema>;

/** The crawler outcome each kind must produce. */
export const EXPECTED_OUTCOME = {
  core: 'ok',
  legacy: 'ok',
  addr_flood: 'ok',
  silent: 'handshake_timeout',
  slowloris: 'handshake_timeout',
  garbage: 'malformed',
  bad_checksum: 'bad_checksum',
  wrong_magic: 'bad_magic',
  oversized: 'oversized',
  reset_after_version: 'closed',
  blackhole: 'connect_timeout',
} as const satisfies Record<NodeKind, string>;
