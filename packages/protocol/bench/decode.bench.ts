/**
 * npm run bench:protocol — decode throughput for 1000-entry addr and addrv2 messages, ours
 * against bitcore-p2p on the same addr bytes. Both sides do the full frame: header, checksum
 * (double SHA-256) and payload decode into per-entry objects with string hosts. The 'packed'
 * rows are the crawl session's path: entries straight to packed bytes (decodeAddrPacked), then
 * the Observation's PackedAddrs; no string or object per entry.
 */
import { createRequire } from 'node:module';
import { addressFromBytes } from '../src/address/codec.ts';
import { packList } from '../src/address/packed-list.ts';
import type { Network } from '../src/address/types.ts';
import { decodeMessage, encodeMessageFrame } from '../src/message.ts';
import type { AddrEntry } from '../src/messages/addr.ts';
import { decodeAddrPacked } from '../src/messages/addr-packed.ts';
import { CHAINS } from '../src/networks.ts';
import { FrameParser } from '../src/parser.ts';

const require = createRequire(import.meta.url);
const magic = CHAINS.mainnet.magic;

let seed = 1;
const rand = (n: number) => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed % n;
};
const bytes = (n: number) => Uint8Array.from({ length: n }, () => rand(256));

function entries(mix: boolean): AddrEntry[] {
  return Array.from({ length: 1000 }, (_, i) => {
    const kind = mix ? i % 10 : rand(10) < 8 ? 0 : 1; // addr: 80% IPv4 / 20% IPv6, as on mainnet
    let network: Network = kind === 0 || kind > 5 ? 'ipv4' : 'ipv6';
    if (mix && kind === 1) network = 'onion';
    if (mix && kind === 2) network = 'i2p';
    const raw =
      network === 'ipv4' ? bytes(4) : network === 'ipv6' ? Uint8Array.from([0x2a, ...bytes(15)]) : bytes(32);
    return {
      time: 1_700_000_000 + i,
      services: 0xc09n,
      network,
      host: addressFromBytes(network, raw),
      port: 8333,
    };
  });
}

const addrFrame = encodeMessageFrame(magic, { command: 'addr', addresses: entries(false), skipped: 0 });
const addrv2Frame = encodeMessageFrame(magic, { command: 'addrv2', addresses: entries(true), skipped: 0 });

interface Result {
  name: string;
  msgsPerS: number;
  entriesPerS: number;
  mbPerS: number;
}

function measure(name: string, frame: Uint8Array, decodeOnce: () => number): Result {
  for (let i = 0; i < 300; i++) decodeOnce(); // warm up the JIT
  let n = 0;
  let entriesSeen = 0;
  const start = process.hrtime.bigint();
  const budget = 2_000_000_000n; // 2 s
  while (process.hrtime.bigint() - start < budget) {
    for (let i = 0; i < 50; i++) entriesSeen += decodeOnce();
    n += 50;
  }
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  return { name, msgsPerS: n / s, entriesPerS: entriesSeen / s, mbPerS: (n * frame.length) / s / 1e6 };
}

function ours(frame: Uint8Array): () => number {
  return () => {
    const [f] = new FrameParser(magic).push(frame);
    const msg = decodeMessage(f!);
    if (msg.command !== 'addr' && msg.command !== 'addrv2') throw new Error('unexpected');
    return msg.addresses.length;
  };
}

/** The crawl session's path: frame, checksum, entries straight to packed bytes, the Observation's form. */
function oursPacked(frame: Uint8Array): () => number {
  return () => {
    const [f] = new FrameParser(magic).push(frame);
    const m = decodeAddrPacked(f!.command as 'addr' | 'addrv2', f!.payload);
    packList(m.packed);
    return m.packed.count;
  };
}

/** bitcore-p2p's parseBuffer wants bitpay's `buffers` fork (a GitHub dependency we cannot fetch); this
 *  is the subset of its interface parseBuffer uses, over a single Buffer. */
class BuffersShim {
  constructor(private buf: Buffer) {}
  get length() {
    return this.buf.length;
  }
  get(i: number) {
    return this.buf[i];
  }
  slice(a: number, b: number) {
    return this.buf.subarray(a, b);
  }
  skip(n: number) {
    this.buf = this.buf.subarray(n);
  }
}

function bitcore(frame: Uint8Array): () => number {
  const p2p = require('bitcore-p2p');
  const bitcoreLib = require('bitcore-lib');
  const messages = new p2p.Messages({ network: bitcoreLib.Networks.livenet });
  const buf = Buffer.from(frame);
  return () => {
    const msg = messages.parseBuffer(new BuffersShim(buf));
    return msg.addresses.length;
  };
}

const results = [
  measure('bitcrawl addr   (1000 entries)', addrFrame, ours(addrFrame)),
  measure('bitcore  addr   (1000 entries)', addrFrame, bitcore(addrFrame)),
  measure('bitcrawl addrv2 (1000 entries, all networks)', addrv2Frame, ours(addrv2Frame)),
  measure('bitcrawl addr   packed (the crawl path)', addrFrame, oursPacked(addrFrame)),
  measure('bitcrawl addrv2 packed (the crawl path)', addrv2Frame, oursPacked(addrv2Frame)),
];

console.log(
  `frame sizes: addr ${addrFrame.length} B, addrv2 ${addrv2Frame.length} B; node ${process.version}`,
);
console.log('decoder                                       msgs/s     entries/s      MB/s');
for (const r of results) {
  console.log(
    `${r.name.padEnd(44)} ${r.msgsPerS.toFixed(0).padStart(8)} ${r.entriesPerS.toFixed(0).padStart(13)} ${r.mbPerS.toFixed(1).padStart(9)}`,
  );
}
const [ourAddr, theirAddr] = results as [Result, Result];
console.log(
  `ratio bitcrawl/bitcore on addr: ${(ourAddr.msgsPerS / theirAddr.msgsPerS).toFixed(2)}x (target >= 3x)`,
);
