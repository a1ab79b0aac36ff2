import {
  type AddrEntry,
  checkPacked,
  NETWORKS,
  type Network,
  type PackedAddrs,
  unpackAddrs,
} from '@bitcrawl/protocol';
import { z } from 'zod';

/**
 * The data contract between the crawler (which produces Observations), the observation stream
 * (which carries each one as a small JSON header plus its gossip as one binary field) and
 * storage (which writes them). JSON form: 64-bit values (services) travel as decimal strings
 * so nothing is rounded. The getaddr answer stays packed (PackedAddrs: one BIP155 addrv2
 * payload) from the session to ClickHouse: no object per gossiped address on the way.
 */

export { NETWORKS, type Network };

/** One class per way a visit can end; `ok` means the version handshake completed. */
export const OUTCOMES = [
  'ok',
  'refused',
  'connect_timeout',
  'unreachable',
  'handshake_timeout',
  'closed',
  'bad_magic',
  'bad_checksum',
  'oversized',
  'malformed',
  'proxy_error',
  'not_dialable',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

const u64 = z.union([z.bigint(), z.string().regex(/^\d{1,20}$/)]).transform((v, ctx) => {
  const n = typeof v === 'bigint' ? v : BigInt(v);
  if (n < 0n || n > 0xffff_ffff_ffff_ffffn) {
    ctx.addIssue({ code: 'custom', message: 'not a uint64' });
    return z.NEVER;
  }
  return n;
});
const port = z.number().int().min(0).max(65535);

/** One gossiped address, decoded (output and tests; the pipeline keeps them packed). */
export type GossipedAddress = AddrEntry;

/** What the remote node said about itself in its `version` message. */
export const peerVersionSchema = z.object({
  protocolVersion: z.number().int(),
  services: u64,
  userAgent: z.string().max(256),
  startHeight: z.number().int(),
  relay: z.boolean(),
  /**
   * Their clock minus ours, in seconds (from the version timestamp, which the peer chooses:
   * the crawler clamps it to this Int32 range, the column's).
   */
  clockOffsetS: z.number().int().min(-0x8000_0000).max(0x7fff_ffff),
});
export type PeerVersion = z.output<typeof peerVersionSchema>;

/**
 * The last second a DateTime column stores correctly on every supported engine
 * (2105-12-31 23:59:59 UTC: ClickHouse 18.16 wraps later ones, though the type is UInt32).
 */
export const MAX_DATETIME_S = 4_291_747_199;
/** The last millisecond an Observation's `ts` may name (see MAX_DATETIME_S). */
export const MAX_TS_MS = MAX_DATETIME_S * 1000 + 999;

/** Longest `error` text an Observation carries. */
export const MAX_ERROR_LENGTH = 1024;

/**
 * `text` cut to at most `max` UTF-16 units without splitting a surrogate pair: a lone half is
 * not valid Unicode, and ClickHouse refuses a row that holds one.
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.charCodeAt(max - 1) >= 0xd800 && text.charCodeAt(max - 1) <= 0xdbff ? max - 1 : max;
  return text.slice(0, cut);
}

export const observationSchema = z.object({
  /** Milliseconds since the Unix epoch when the visit started. */
  ts: z.number().int().nonnegative().max(MAX_TS_MS),
  crawlId: z.string().min(1).max(128),
  network: z.enum(NETWORKS),
  host: z.string().min(1).max(80),
  port,
  outcome: z.enum(OUTCOMES),
  /** Human-readable detail for a failed visit (error code and message); empty when ok. */
  error: z.string().max(MAX_ERROR_LENGTH),
  peer: peerVersionSchema.nullable(),
  connectMs: z.number().int().nonnegative(),
  handshakeMs: z.number().int().nonnegative(),
  /** Every distinct address the node gave in its getaddr answer, packed (see PackedAddrs). */
  addrs: z.custom<PackedAddrs>((v) => v instanceof Uint8Array, 'addrs: packed addresses (a Uint8Array)'),
});
export type Observation = z.output<typeof observationSchema>;
export type ObservationInput = z.input<typeof observationSchema>;

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** The Observation without its gossip, as the stream's JSON header (bigints as decimal strings). */
export function observationHeaderJson(o: Observation): string {
  const { addrs: _packed, ...header } = o;
  return JSON.stringify(header, replacer);
}

const headerSchema = observationSchema.omit({ addrs: true });

/**
 * Rebuilds an Observation from a stream entry: the JSON header, validated, and the packed
 * gossip, checked whole (bounds, lengths, no trailing bytes) so that a bad entry is refused
 * here, with the reason, not half-way through an insert. Throws a ZodError or ProtocolError.
 */
export function observationFromStream(header: string, addrs: Uint8Array): Observation {
  const h = headerSchema.parse(JSON.parse(header));
  checkPacked(addrs);
  return { ...h, addrs };
}

/** The whole Observation as JSON, gossip unpacked into objects (`bitcrawl visit`, dead letters). */
export function observationToJson(o: Observation): string {
  const { addrs, ...header } = o;
  return JSON.stringify({ ...header, addrs: unpackAddrs(addrs) }, replacer);
}
