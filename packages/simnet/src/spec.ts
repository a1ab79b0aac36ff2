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

const fraction = z.number().min(0).max(1);
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
    nodes: z.number().int().min(1).max(15_000).default(100),
    /** Relative weights of node kinds among the IPv4 nodes. */
    kinds: z.partialRecord(z.enum(NODE_KINDS), z.number().min(0)).default({ core: 1 }),
    /** Extra Core-like nodes: IPv6 on ::1, and overlay nodes behind the simnet's SOCKS5 front door. */
    ipv6: z.number().int().min(0).max(2_000).default(0),
    onion: z.number().int().min(0).max(2_000).default(0),
    i2p: z.number().int().min(0).max(2_000).default(0),
    cjdns: z.number().int().min(0).max(2_000).default(0),
    /** Fraction of all advertised addresses that have nothing behind them. */
    unreachableFraction: fraction.default(0.3),
    /** Size of each node's address table; the getaddr answer is 23% of it, at most 1000. */
    table: range(20_000).default({ min: 40, max: 400 }),
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
    ipv6BasePort: z.number().int().min(1024).max(60_000).default(40_000),
  })
  .refine((s) => Object.values(s.kinds).some((w) => (w ?? 0) > 0), {
    message: 'kinds needs a positive weight',
  });

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
