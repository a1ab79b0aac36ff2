import type net from 'node:net';
import {
  type AddrEntry,
  CHAINS,
  checksum,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  encodeMessageFrame,
  type Frame,
  FrameParser,
  type Message,
  ProtocolError,
} from '@bitcrawl/protocol';
import type { NodePlan } from './generate.ts';
import { serveV2OrV1 } from './v2-node.ts';

/**
 * Serves one inbound connection the way the planned node kind behaves. Core-like nodes follow
 * what Bitcoin Core 31 does for an inbound v1 peer (shared/reference/bitcoin-core-p2p-facts.md).
 */
export function serveConnection(
  socket: net.Socket,
  plan: NodePlan,
  magic: Uint8Array,
  timers: Set<NodeJS.Timeout>,
): void {
  const kind = plan.truth.kind;
  socket.on('error', () => {});
  socket.setNoDelay(true);
  const later = (fn: () => void, ms = plan.latencyMs) => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!socket.destroyed) fn();
    }, ms);
    timers.add(t);
  };
  const write = (bytes: Uint8Array | Uint8Array[]) =>
    later(() => socket.write(Array.isArray(bytes) ? Buffer.concat(bytes) : bytes));
  const frame = (m: Message) => encodeMessageFrame(magic, m);

  switch (kind) {
    case 'silent':
      // Accepts, never speaks. It still reads (and drops) what comes, so it sees the crawler
      // close and closes too: one that never read kept every socket, and a long-running
      // simnet ran out of descriptors after a few rounds.
      socket.resume();
      return;
    case 'wrong_magic': {
      const other = magic[0] === 0xf9 ? CHAINS.testnet.magic : CHAINS.mainnet.magic;
      socket.once('data', () => write([encodeMessageFrame(other, versionOf(plan))]));
      return;
    }
    case 'oversized': {
      const header = encodeFrame(magic, 'version', new Uint8Array(0));
      new DataView(header.buffer).setUint32(16, 4_000_001, true);
      socket.once('data', () => write([header]));
      return;
    }
    case 'bad_checksum': {
      const f = frame(versionOf(plan));
      f[20] = (f[20] as number) ^ 0xff;
      socket.once('data', () => write([f]));
      return;
    }
    case 'garbage': {
      // A correctly framed "version" whose payload is too short to be one.
      socket.once('data', () => write([encodeFrame(magic, 'version', Uint8Array.of(1, 2, 3, 4, 5, 6, 7))]));
      return;
    }
    case 'slowloris': {
      const bytes = frame(versionOf(plan));
      let i = 0;
      const drip = () => {
        if (i >= bytes.length) return;
        socket.write(bytes.subarray(i, i + 1));
        i++;
        later(drip, 1000);
      };
      socket.once('data', () => later(drip, 1000));
      return;
    }
    case 'reset_after_version':
      socket.once('data', () =>
        later(() => socket.write(frame(versionOf(plan)), () => socket.resetAndDestroy())),
      );
      return;
    default:
      if (plan.truth.transport === 'v2') serveV2OrV1(socket, plan, magic, write);
      else speakProtocol(socket, plan, v1Codec(plan, magic, socket), write);
  }
}

/**
 * How a node reads and writes messages: v1 frames (the encoded bursts cached per node) or a
 * BIP324 v2 session (every packet sealed per connection). `read` throws on a bad stream;
 * `prefix` is what the transport itself must send before the replies to that chunk.
 */
export interface Codec {
  read(chunk: Uint8Array): { frames: Frame[]; prefix?: Uint8Array };
  handshake(): Uint8Array;
  afterVerack(addrV2: boolean): Uint8Array;
  answer(addrV2: boolean): Uint8Array;
  one(m: Message): Uint8Array;
}

export function v1Codec(plan: NodePlan, magic: Uint8Array, socket: net.Socket): Codec {
  const parser = new FrameParser(magic);
  const frame = (m: Message) => encodeMessageFrame(magic, m);
  return {
    read(chunk) {
      try {
        return { frames: parser.push(chunk) };
      } catch (err) {
        // A v1 node that advertises NODE_P2P_V2 anyway resets on a v2 key (a v1 node closes).
        if (plan.truth.transport === 'v1' && (BigInt(plan.truth.version?.services ?? 0) & 0x800n) !== 0n) {
          socket.resetAndDestroy();
        }
        throw err;
      }
    },
    handshake: () => handshakeBurst(plan, frame),
    afterVerack: (addrV2) => afterVerackBurst(plan, addrV2, frame),
    answer: (addrV2) => cachedAnswer(plan, addrV2, magic),
    one: frame,
  };
}

/**
 * core, legacy and addr_flood: a real handshake and a getaddr answer, over the codec's
 * transport. Returns the data handler (registered here) so a caller can replay bytes it read.
 */
export function speakProtocol(
  socket: net.Socket,
  plan: NodePlan,
  codec: Codec,
  write: (b: Uint8Array | Uint8Array[]) => void,
): (chunk: Uint8Array) => void {
  const legacy = plan.truth.kind === 'legacy';
  let gotVersion = false;
  let gotVerack = false;
  let peerWantsV2 = false;
  let answered = false;
  const onData = (chunk: Uint8Array) => {
    if (socket.destroyed) return;
    let read: ReturnType<Codec['read']>;
    try {
      read = codec.read(chunk);
    } catch {
      socket.destroy();
      return;
    }
    // What the chunk's frames ask for goes out after one latency, in one write (as one TCP
    // segment would carry Core's replies to messages that arrived together).
    const out: Uint8Array[] = read.prefix ? [read.prefix] : [];
    for (const f of read.frames) {
      let m: Message;
      try {
        m = decodeMessage(f);
      } catch (err) {
        if (err instanceof ProtocolError) socket.destroy();
        return;
      }
      if (!gotVersion && m.command !== 'version') {
        socket.destroy(); // Core: the first message must be version
        return;
      }
      switch (m.command) {
        case 'version':
          if (gotVersion) break;
          gotVersion = true;
          out.push(codec.handshake());
          break;
        case 'sendaddrv2':
        case 'wtxidrelay':
          if (gotVerack) {
            socket.destroy(); // Core disconnects a peer that sends these after its verack
            return;
          }
          if (m.command === 'sendaddrv2') peerWantsV2 = true;
          break;
        case 'verack':
          gotVerack = true;
          if (!legacy) out.push(codec.afterVerack(peerWantsV2));
          break;
        case 'ping':
          out.push(codec.one({ command: 'pong', nonce: m.nonce }));
          break;
        case 'getaddr':
          if (answered || !gotVerack) break; // Core answers once per connection
          answered = true;
          {
            const answer = codec.answer(peerWantsV2 && !legacy);
            if (answer.length > 0) out.push(answer); // an empty answer is not sent
          }
          break;
        default:
          break;
      }
    }
    if (out.length === 1) write(out[0] as Uint8Array);
    else if (out.length > 1) write(out);
  };
  socket.on('data', onData);
  return onData;
}

/**
 * A node's first burst (version, wtxidrelay, sendaddrv2, verack; legacy: version, verack),
 * encoded once per node; the version's timestamp is the only part that changes (one-second
 * resolution), so a later second patches it and the frame's checksum into a copy. Saves the
 * simnet's CPU for the client under test: a benchmark visits each node every few seconds.
 */
const handshakeCache = new WeakMap<NodePlan, { second: number; bytes: Uint8Array }>();
/** The version payload's timestamp: after version (4) and services (8), behind the 24-byte header. */
const VERSION_TIMESTAMP_AT = 24 + 12;
/** A node's first burst as messages (the v1 path caches their encoding; v2 seals them per session). */
export function handshakeMessages(plan: NodePlan): Message[] {
  return plan.truth.kind === 'legacy'
    ? [versionOf(plan), { command: 'verack' }]
    : [versionOf(plan), { command: 'wtxidrelay' }, { command: 'sendaddrv2' }, { command: 'verack' }];
}

function handshakeBurst(plan: NodePlan, frame: (m: Message) => Uint8Array): Uint8Array {
  const second = Math.floor(Date.now() / 1000);
  const hit = handshakeCache.get(plan);
  if (hit?.second === second) return hit.bytes;
  if (hit) {
    const bytes = Buffer.from(hit.bytes);
    const length = bytes.readUInt32LE(16);
    bytes.writeBigInt64LE(BigInt(second + plan.clockSkewS), VERSION_TIMESTAMP_AT);
    bytes.set(checksum(bytes.subarray(24, 24 + length)), 20);
    handshakeCache.set(plan, { second, bytes });
    return bytes;
  }
  const bytes = Buffer.concat(handshakeMessages(plan).map(frame));
  handshakeCache.set(plan, { second, bytes });
  return bytes;
}

/** What a Core node sends after our verack: constant per node and addr format, so encoded once. */
const afterVerackCache = new WeakMap<NodePlan, Map<boolean, Uint8Array>>();
function afterVerackBurst(plan: NodePlan, v2: boolean, frame: (m: Message) => Uint8Array): Uint8Array {
  let byVersion = afterVerackCache.get(plan);
  if (!byVersion) {
    byVersion = new Map();
    afterVerackCache.set(plan, byVersion);
  }
  let bytes = byVersion.get(v2);
  if (!bytes) {
    bytes = Buffer.concat(afterVerackMessages(plan, v2).map(frame));
    byVersion.set(v2, bytes);
  }
  return bytes;
}

/** What a Core node sends after our verack, as messages. */
export function afterVerackMessages(plan: NodePlan, v2: boolean): Message[] {
  const after: Message[] = [
    { command: 'sendcmpct', announce: false, version: 2n },
    { command: 'ping', nonce: 0x1234n },
    { command: 'feefilter', feeRate: 1000n },
  ];
  if (plan.selfAnnounce && plan.truth.network === 'ipv4') {
    const self: AddrEntry = {
      time: 1_700_000_000,
      services: 0xc09n,
      network: 'ipv4',
      host: plan.truth.host,
      port: plan.truth.port,
    };
    after.push(
      v2
        ? { command: 'addrv2', addresses: [self], skipped: 0 }
        : { command: 'addr', addresses: [self], skipped: 0 },
    );
  }
  return after;
}

/**
 * Encodes, ahead of any visit, the getaddr answer the node will give a current client (addrv2;
 * a legacy node's addr), as Core has its answer cached long before a crawler asks (21-27 h).
 * A visit then costs the simnet only what a real node's costs it: reads, writes, timers and,
 * over v2, sealing the answer, not building it. Other answer forms are still encoded (and
 * cached) on first use.
 */
export function prepareAnswer(plan: NodePlan, magic: Uint8Array): void {
  const kind = plan.truth.kind;
  if (kind !== 'core' && kind !== 'legacy' && kind !== 'addr_flood') return;
  const addrV2 = kind !== 'legacy';
  answerParts(plan, addrV2);
  if (plan.truth.transport !== 'v2') cachedAnswer(plan, addrV2, magic);
}

/**
 * Core caches its getaddr answer for a day; the simnet caches its encoded payloads (one set
 * for both transports: a v2 session seals them anew) and the v1 frames built from them.
 */
const answerPayloads = new WeakMap<NodePlan, Map<boolean, AnswerPart[]>>();
const answerFrames = new WeakMap<NodePlan, Map<boolean, Uint8Array>>();
export type AnswerPart = { command: string; payload: Uint8Array };

export function answerParts(plan: NodePlan, addrV2: boolean): AnswerPart[] {
  return cached(answerPayloads, plan, addrV2, () => answerMessages(plan, addrV2).map(encodeMessage));
}

function cachedAnswer(plan: NodePlan, addrV2: boolean, magic: Uint8Array): Uint8Array {
  // Legacy's parts go in one write, as before.
  return cached(answerFrames, plan, addrV2, () =>
    Buffer.concat(answerParts(plan, addrV2).map((p) => encodeFrame(magic, p.command, p.payload))),
  );
}

function cached<T>(
  cache: WeakMap<NodePlan, Map<boolean, T>>,
  plan: NodePlan,
  addrV2: boolean,
  make: () => T,
): T {
  let byVersion = cache.get(plan);
  if (!byVersion) {
    byVersion = new Map();
    cache.set(plan, byVersion);
  }
  let value = byVersion.get(addrV2);
  if (value === undefined) {
    value = make();
    byVersion.set(addrV2, value);
  }
  return value;
}

/** The node's getaddr answer as messages (legacy: three addr parts; empty: nothing sent). */
export function answerMessages(plan: NodePlan, v2: boolean): Message[] {
  if (plan.truth.kind === 'addr_flood') {
    const flood: AddrEntry[] = Array.from({ length: 1001 }, (_, i) => ({
      time: 1_700_000_000,
      services: 1n,
      network: 'ipv4',
      host: `127.99.${(i >> 8) & 255}.${i & 255}`,
      port: 8333,
    }));
    return [
      v2
        ? { command: 'addrv2', addresses: flood, skipped: 0 }
        : { command: 'addr', addresses: flood, skipped: 0 },
    ];
  }
  // Core picks its answer, then drops what a v1 addr cannot carry; an empty answer is not sent.
  const entries = v2 ? plan.answer : plan.answer.filter((a) => a.network === 'ipv4' || a.network === 'ipv6');
  if (entries.length === 0) return [];
  if (plan.truth.kind !== 'legacy') {
    return [
      v2
        ? { command: 'addrv2', addresses: entries, skipped: 0 }
        : { command: 'addr', addresses: entries, skipped: 0 },
    ];
  }
  const part = Math.ceil(entries.length / 3);
  const out: Message[] = [];
  for (let i = 0; i < entries.length; i += part) {
    out.push({ command: 'addr', addresses: entries.slice(i, i + part), skipped: 0 });
  }
  return out;
}

export function versionOf(plan: NodePlan): Message {
  const v = plan.truth.version ?? {
    protocolVersion: 70016,
    services: '1033',
    userAgent: '/Satoshi:31.0.0/',
    startHeight: 900_000,
    relay: true,
  };
  return {
    command: 'version',
    version: v.protocolVersion,
    services: BigInt(v.services),
    timestamp: BigInt(Math.floor(Date.now() / 1000) + plan.clockSkewS),
    addrRecv: { services: 0n, network: 'ipv6', host: '::', port: 0 },
    addrFrom: { services: BigInt(v.services), network: 'ipv6', host: '::', port: 0 },
    nonce: BigInt(plan.truth.port) * 1_000_003n + 7n,
    userAgent: v.userAgent,
    startHeight: v.startHeight,
    relay: v.relay,
  };
}
