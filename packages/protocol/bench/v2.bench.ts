/**
 * npm run bench:v2 — the CPU a BIP324 v2 visit costs the crawler beside a v1 visit, from the
 * same run. A visit here is the crawler's (initiator's) protocol work: encode our messages,
 * take the peer's byte stream, frame or decrypt it and decode every message, Core's handshake
 * and a getaddr answer of 1,000 addrv2 entries (~19 KB, mainnet-like mix of networks). A v2
 * visit adds our ephemeral key (private key, G·k, ElligatorSwift encoding), the x-only ECDH
 * with the peer's encoding, the HKDF key schedule and ChaCha20-Poly1305 over every packet. The
 * peer's bytes are made beforehand (the peer's CPU is not ours). Sockets, timers and the
 * handshake machine cost both transports the same and are not here: `BENCH_V2=1 npm run
 * bench:sessions` measures whole sessions over loopback. Figures: median of 5 timed batches.
 */
import { addressFromBytes } from '../src/address/codec.ts';
import { packAddrs } from '../src/address/packed.ts';
import { packList } from '../src/address/packed-list.ts';
import type { Network } from '../src/address/types.ts';
import { encodeFrame } from '../src/framer.ts';
import { decodeMessage, encodeMessage, type Message } from '../src/message.ts';
import type { AddrEntry } from '../src/messages/addr.ts';
import { decodeAddrPacked } from '../src/messages/addr-packed.ts';
import { coreVersion } from '../src/messages/version.ts';
import { CHAINS } from '../src/networks.ts';
import { FrameParser } from '../src/parser.ts';
import { deriveKeys } from '../src/v2/cipher.ts';
import { ellswiftDecode, ellswiftEncode } from '../src/v2/ellswift.ts';
import {
  bigintEllswift,
  defaultEllswift,
  type EllswiftKey,
  ellswiftCreate,
  ellswiftEcdhXonly,
  ellswiftKeyFrom,
  ellswiftLoadError,
  v2Ecdh,
} from '../src/v2/ellswift-key.ts';
import { defaultSecp256k1 } from '../src/v2/secp.ts';
import { V2Transport } from '../src/v2/transport.ts';

const magic = CHAINS.mainnet.magic;
const TARGET = 2;

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

/** Microseconds of CPU per call of fn(i), the median of 5 batches of n after a warm-up batch. */
function time(n: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < Math.max(3, n / 5); i++) fn(i);
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn(b * n + i);
    const d = process.cpuUsage(t0);
    batches.push((d.user + d.system) / n);
  }
  return median(batches);
}

let seed = 7;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
};
/** 1,000 entries: 6 in 10 IPv4, 2 IPv6, 2 Tor v3 (a Core node's addrv2 answer). */
const answer: AddrEntry[] = Array.from({ length: 1000 }, (_, i) => {
  const k = i % 10;
  const network: Network = k < 6 ? 'ipv4' : k < 8 ? 'ipv6' : 'onion';
  const n = network === 'ipv4' ? 4 : network === 'ipv6' ? 16 : 32;
  const raw = Uint8Array.from({ length: n }, (_, j) => (network === 'ipv6' && j === 0 ? 0x2a : rand(256)));
  return {
    time: 1_700_000_000 + i,
    services: 0xc09n,
    network,
    host: addressFromBytes(network, raw),
    port: 8333,
  };
});
const ours: Message[] = [
  coreVersion({ startHeight: 0 }),
  { command: 'wtxidrelay' },
  { command: 'sendaddrv2' },
  { command: 'verack' },
  { command: 'getaddr' },
  { command: 'pong', nonce: 1n },
];
const theirs: Message[] = [
  coreVersion({ startHeight: 900_000 }),
  { command: 'wtxidrelay' },
  { command: 'sendaddrv2' },
  { command: 'verack' },
  { command: 'sendcmpct', announce: false, version: 2n },
  { command: 'ping', nonce: 2n },
  { command: 'feefilter', feeRate: 1000n },
  { command: 'addrv2', addresses: answer, skipped: 0 },
];
const oursEncoded = ours.map(encodeMessage);
const theirsEncoded = theirs.map(encodeMessage);
const answerBytes = theirsEncoded.reduce((n, m) => n + m.payload.length, 0);

/** The peer's whole v1 stream, in one chunk. */
function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const v1Stream = concat(theirsEncoded.map((m) => encodeFrame(magic, m.command, m.payload)));

/**
 * A frame decoded as the crawl session does: addr/addrv2 straight to packed entries and, at the
 * end of the visit, the Observation's PackedAddrs; anything else through decodeMessage.
 */
function crawlDecode(f: { command: string; payload: Uint8Array }): number {
  if (f.command === 'addr' || f.command === 'addrv2')
    return packList(decodeAddrPacked(f.command, f.payload).packed).length;
  return decodeMessage(f).command.length;
}

/** The session's path before packed decoding: entries with host strings, packed at the end. */
function generalDecode(f: { command: string; payload: Uint8Array }): number {
  const m = decodeMessage(f);
  if (m.command === 'addr' || m.command === 'addrv2') return packAddrs(m.addresses).length;
  return m.command.length;
}

function v1Visit(decode = crawlDecode): number {
  for (const m of oursEncoded) encodeFrame(magic, m.command, m.payload);
  const parser = new FrameParser(magic);
  let n = 0;
  for (const f of parser.push(v1Stream)) n += decode(f);
  return n;
}

/**
 * Pre-made keys and, for each, the peer's whole v2 stream (its key, garbage of Core's random
 * length, terminator, version packet, messages): one per timed visit, as the peer's key and
 * the session keys differ per visit.
 */
const POOL = 60;
const peerKey = ellswiftCreate(); // a simnet node keeps one key; Core makes one per connection
const pool: { key: EllswiftKey; stream: Uint8Array }[] = Array.from({ length: POOL }, () => {
  const key = ellswiftCreate();
  const peer = new V2Transport({ magic, role: 'responder', key: peerKey });
  const first = peer.start();
  const reply = peer.feed(new V2Transport({ magic, role: 'initiator', key }).start()).send as Uint8Array;
  const packets = theirsEncoded.map((m) => peer.encode(m.command, m.payload));
  return { key, stream: concat([first, reply, ...packets]) };
});

/** The crawler's side of a v2 visit with a given key: everything but making the key. */
function v2VisitWithKey(i: number): number {
  const { key, stream } = pool[i % POOL] as (typeof pool)[number];
  const t = new V2Transport({ magic, role: 'initiator', key });
  t.start();
  const { frames, error } = t.feed(stream);
  if (error || frames.length !== theirs.length)
    throw new Error(`v2 visit: ${error?.message ?? frames.length}`);
  for (const m of oursEncoded) t.encode(m.command, m.payload);
  let n = 0;
  for (const f of frames) n += crawlDecode(f);
  return n;
}

const x = ellswiftDecode(peerKey.ellswift);
const secret = v2Ecdh(peerKey, (pool[0] as (typeof pool)[number]).key.ellswift, false);
const fallback = bigintEllswift(defaultSecp256k1());
const peerFallback = ellswiftKeyFrom(peerKey.priv, peerKey.ellswift, fallback);
const rows: [string, number][] = [
  ['ellswift key (private key, G·k, encoding)', time(60, () => ellswiftCreate())],
  [
    'x-only ECDH with their encoding',
    time(60, (i) => ellswiftEcdhXonly(pool[i % POOL]!.key.ellswift, peerKey)),
  ],
  ['key schedule (HKDF-SHA256)', time(200, () => deriveKeys(secret, magic))],
  [`fallback (${fallback.name}): ellswift key`, time(60, () => ellswiftCreate(fallback))],
  ['  of which: ElligatorSwift encoding', time(60, () => ellswiftEncode(x))],
  [
    `fallback (${fallback.name}): x-only ECDH`,
    time(60, (i) => ellswiftEcdhXonly(pool[i % POOL]!.key.ellswift, peerFallback)),
  ],
  ['  of which: ElligatorSwift decoding', time(200, (i) => ellswiftDecode(pool[i % POOL]!.key.ellswift))],
];
const withKey = time(60, v2VisitWithKey);
const key = (rows[0] as [string, number])[1];
const v1 = time(200, () => v1Visit());
const v1General = time(200, () => v1Visit(generalDecode));
const v2 = key + withKey;
rows.push(
  ['v2 visit, keys given (ECDH, HKDF, packets, decode)', withKey],
  ['v2 visit (the key + the above)', v2],
  ['v1 visit (frames, checksums, decode)', v1],
  ['  the same, addresses as strings then packAddrs', v1General],
);
const backend = defaultEllswift().name;
console.log(
  `CPU per operation (µs, median of 5 batches); ellswift: ${backend}${ellswiftLoadError() ? ` (WASM failed: ${ellswiftLoadError()})` : ''}; ` +
    `node ${process.version}; the peer's messages ${answerBytes} B`,
);
for (const [name, us] of rows) console.log(`  ${name.padEnd(52)} ${us.toFixed(0).padStart(7)}`);
const ratio = v2 / v1;
console.log(
  `a v2 visit's protocol CPU is ${ratio.toFixed(2)}x a v1 visit's (target ${TARGET}x: ${ratio <= TARGET ? 'met' : 'missed'} ` +
    `for the protocol work; whole sessions: BENCH_V2=1 npm run bench:sessions); v2 adds ${(v2 - v1).toFixed(0)} µs per visit`,
);
