/**
 * npm run bench:v2 — the CPU a BIP324 v2 connection adds, step by step: our ephemeral key
 * (a private key and its ElligatorSwift encoding), the x-only ECDH with the peer's encoding,
 * the key schedule, and sealing/opening the packets of a crawl visit; beside it, a v1 frame's
 * encoding and checksum for the same messages. Each figure is the median of 5 timed batches.
 */
import { encodeFrame } from '../src/framer.ts';
import { CHAINS } from '../src/networks.ts';
import { FrameParser } from '../src/parser.ts';
import { deriveKeys } from '../src/v2/cipher.ts';
import {
  ellswiftCreate,
  ellswiftDecode,
  ellswiftEcdhXonly,
  ellswiftEncode,
  v2Ecdh,
} from '../src/v2/ellswift.ts';
import { V2Transport } from '../src/v2/transport.ts';

const magic = CHAINS.mainnet.magic;

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

/** Microseconds per call of fn, the median of 5 batches of n after a warm-up batch. */
function time(n: number, fn: () => unknown): number {
  for (let i = 0; i < Math.max(3, n / 5); i++) fn();
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn();
    const d = process.cpuUsage(t0);
    batches.push(((d.user + d.system) / n) as number);
  }
  return median(batches);
}

const peer = ellswiftCreate();
const ours = ellswiftCreate();
const x = ellswiftDecode(ours.ellswift);
// A crawl visit's traffic: our version (~110 B), sendaddrv2, verack, getaddr, pong; theirs:
// version, wtxidrelay, sendaddrv2, verack, sendcmpct, ping, feefilter, an addrv2 of ~250 entries.
const sent = [110, 0, 0, 0, 8];
const received = [102, 0, 0, 0, 9, 8, 8, 250 * 12];

function v2Visit(): void {
  const a = new V2Transport({ magic, role: 'initiator', key: ours, garbage: new Uint8Array(0) });
  const b = new V2Transport({ magic, role: 'responder', key: peer, garbage: new Uint8Array(0) });
  const r1 = b.feed(a.start());
  a.feed(b.start());
  a.feed(r1.send as Uint8Array);
  const up = sent.map((n) => a.encode('inv', new Uint8Array(n)));
  for (const p of up) b.feed(p);
  const down = received.map((n) => b.encode('inv', new Uint8Array(n)));
  for (const p of down) a.feed(p);
}

function v1Visit(): void {
  const parser = new FrameParser(magic);
  for (const n of sent) encodeFrame(magic, 'inv', new Uint8Array(n));
  for (const n of received) parser.push(encodeFrame(magic, 'inv', new Uint8Array(n)));
}

const rows: [string, number][] = [
  ['ellswift key (keygen + encoding)', time(50, () => ellswiftCreate())],
  ['  of which: ElligatorSwift encoding', time(50, () => ellswiftEncode(x))],
  ['x-only ECDH with their encoding', time(50, () => ellswiftEcdhXonly(peer.ellswift, ours))],
  ['v2_ecdh + key schedule (HKDF)', time(50, () => deriveKeys(v2Ecdh(ours, peer.ellswift, true), magic))],
  ['a v2 visit both ends, keys given (excl. keygen)', time(50, v2Visit)],
  ['a v1 visit both ends (framing, checksums)', time(200, v1Visit)],
];
console.log('CPU per operation (µs, median of 5 batches)');
for (const [name, us] of rows) console.log(`  ${name.padEnd(48)} ${us.toFixed(0).padStart(7)}`);
const [key, , ecdh] = rows.map(([, us]) => us);
console.log(
  `a v2 initiator's own cryptography per connection: ~${((key as number) + (ecdh as number)).toFixed(0)} µs ` +
    `(key ${(key as number).toFixed(0)}, ECDH ${(ecdh as number).toFixed(0)}); node ${process.version}`,
);
