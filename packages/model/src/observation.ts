import {
  type AddrEntry,
  checkPacked,
  type Endpoint,
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

/** P2P transports: v1 (plaintext frames) and BIP324 v2 (encrypted). */
export const TRANSPORTS = ['v1', 'v2'] as const;
export type Transport = (typeof TRANSPORTS)[number];
/** NODE_P2P_V2 (1 << 11): the service bit of nodes that accept BIP324 v2 connections. */
export const NODE_P2P_V2 = 1n << 11n;

const u64 = z.union([z.bigint(), z.string().regex(/^\d{1,20}$/)]).transform((v, ctx) => {
  const n = typeof v === 'bigint' ? v : BigInt(v);
  if (n < 0n || n > 0xffff_ffff_ffff_ffffn) {
    ctx.addIssue({ code: 'custom', message: 'not a uint64' });
    return z.NEVER;
  }
  return n;
});

/**
 * The protocol's Endpoint as a schema (the Observation's and the crawl job's address fields):
 * its output is exactly Endpoint, which the check below keeps so.
 */
export const endpointSchema = z.object({
  network: z.enum(NETWORKS),
  host: z.string().min(1).max(80),
  port: z.number().int().min(0).max(65535),
});
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const endpointIsProtocols: Same<z.output<typeof endpointSchema>, Endpoint> = true;
void endpointIsProtocols;

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
  ...endpointSchema.shape,
  outcome: z.enum(OUTCOMES),
  /** Human-readable detail for a failed visit (error code and message); empty when ok. */
  error: z.string().max(MAX_ERROR_LENGTH),
  peer: peerVersionSchema.nullable(),
  connectMs: z.number().int().nonnegative(),
  handshakeMs: z.number().int().nonnegative(),
  /** Every distinct address the node gave in its getaddr answer, packed (see PackedAddrs). */
  addrs: z.custom<PackedAddrs>((v) => v instanceof Uint8Array, 'addrs: packed addresses (a Uint8Array)'),
  /**
   * The transport of the visit's connection (the second one after a v1 fallback; the one tried
   * when none connected). The crawler always sets the three v2 fields; they are optional so
   * entries written before them still parse (read as v1, no fallback, no session id).
   */
  transport: z.enum(TRANSPORTS).optional(),
  /** v2 was tried first and the peer hung up before answering our key, so v1 was used. */
  v2Fallback: z.boolean().optional(),
  /** The first bytes of the BIP324 session id (hex, 8 bytes from the crawler), for debugging. */
  v2SessionId: z
    .string()
    .regex(/^(?:[0-9a-f]{2}){0,32}$/)
    .optional(),
});
export type Observation = z.output<typeof observationSchema>;
export type ObservationInput = z.input<typeof observationSchema>;

function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * The Observation without its gossip, as the stream's JSON header (bigints as decimal strings).
 * Bigints are converted first, in the header and in `peer` (the schema's one nested object; a
 * caller's object may carry more fields than the schema, the target's services say): with a
 * replacer function, JSON.stringify leaves its fast path (2x the time, once per visit).
 */
export function observationHeaderJson(o: Observation): string {
  const header = bigintsAsText({ ...o, addrs: undefined });
  if (o.peer) header.peer = bigintsAsText({ ...o.peer });
  return JSON.stringify(header);
}

/** The same object with its own bigint fields replaced by their decimal text. */
function bigintsAsText(fields: Record<string, unknown>): Record<string, unknown> {
  for (const k in fields) if (typeof fields[k] === 'bigint') fields[k] = (fields[k] as bigint).toString();
  return fields;
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
