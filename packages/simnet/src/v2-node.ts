import type net from 'node:net';
import {
  type EllswiftKey,
  ellswiftCreate,
  encodeMessage,
  type Message,
  V2Transport,
} from '@bitcrawl/protocol';
import type { NodePlan } from './generate.ts';
import {
  type AnswerPart,
  afterVerackMessages,
  answerParts,
  type Codec,
  handshakeMessages,
  speakProtocol,
  v1Codec,
} from './node.ts';

const VERSION_COMMAND = Buffer.from('version\0\0\0\0\0', 'latin1');

/**
 * A node that speaks BIP324 v2, as Bitcoin Core 26+ serves an inbound connection: v1 when its
 * first 16 bytes are the magic and a `version` command, else a v2 responder. Core decides at
 * the first byte that differs, so a v2 key (random bytes) is told apart at once.
 */
export function serveV2OrV1(
  socket: net.Socket,
  plan: NodePlan,
  magic: Uint8Array,
  write: (b: Uint8Array | Uint8Array[]) => void,
): void {
  const prefix = Buffer.concat([magic, VERSION_COMMAND]);
  const seen: Buffer[] = [];
  let n = 0;
  const sniff = (chunk: Buffer) => {
    let mismatch = false;
    for (let i = 0; i < chunk.length && n + i < prefix.length; i++) {
      if (chunk[i] !== prefix[n + i]) {
        mismatch = true;
        break;
      }
    }
    seen.push(chunk);
    n += chunk.length;
    if (!mismatch && n < prefix.length) return; // still maybe v1
    socket.off('data', sniff);
    const codec = mismatch ? v2Codec(plan, magic, write) : v1Codec(plan, magic, socket);
    speakProtocol(socket, plan, codec, write)(Buffer.concat(seen));
  };
  socket.on('data', sniff);
}

/**
 * One key per node for all its connections. Core makes a fresh key per connection; a simnet
 * node does not, so that it spends its CPU (shared with the crawler under test) on the
 * connection's ECDH only: key generation is a third of a v2 connection's cost.
 */
const nodeKeys = new WeakMap<NodePlan, EllswiftKey>();

function v2Codec(plan: NodePlan, magic: Uint8Array, write: (b: Uint8Array) => void): Codec {
  let key = nodeKeys.get(plan);
  if (!key) {
    key = ellswiftCreate();
    nodeKeys.set(plan, key);
  }
  const t = new V2Transport({ magic, role: 'responder', key });
  write(t.start()); // our key and garbage, as soon as we know it is v2
  const sealAll = (parts: AnswerPart[]) => Buffer.concat(parts.map((p) => t.encode(p.command, p.payload)));
  const seal = (msgs: Message[]) => sealAll(msgs.map(encodeMessage));
  return {
    read(chunk) {
      const r = t.feed(chunk);
      if (r.error) throw r.error;
      return r.send ? { frames: r.frames, prefix: r.send } : { frames: r.frames };
    },
    handshake: () => seal(handshakeMessages(plan)),
    afterVerack: (addrV2) => seal(afterVerackMessages(plan, addrV2)),
    answer: (addrV2) => sealAll(answerParts(plan, addrV2)),
    one: (m) => seal([m]),
  };
}
