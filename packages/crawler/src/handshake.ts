import type { Network } from '@bitcrawl/model';
import type { AddrEntry, Message, NetAddrField, VersionMessage } from '@bitcrawl/protocol';

/**
 * The client side of a visit as a pure state machine: feed it the peer's messages, send what
 * it returns. No sockets, no timers: the session owns those and asks `phase` what to wait for.
 *
 * Order, as Bitcoin Core expects it from an inbound peer: we send version and sendaddrv2 at
 * once, verack only after their version arrives (sendaddrv2 or wtxidrelay after our verack
 * makes Core disconnect), and getaddr once both versions and veracks are exchanged.
 */

export type Phase = 'handshake' | 'awaiting_answer' | 'harvesting';

export interface HandshakeParams {
  protocolVersion: number;
  userAgent: string;
  target: { network: Network; host: string; port: number };
  nonce: bigint;
  /** Our clock, Unix seconds. */
  nowS: number;
  maxAddr: number;
}

export interface MachineState {
  phase: Phase;
  theirVersion?: VersionMessage;
  gotVerack: boolean;
  sentVerack: boolean;
  /** Peer asked for addrv2 (it sent sendaddrv2 before its verack). */
  theirAddrV2: boolean;
  /** Merged getaddr answer, keyed by endpoint so parts and repeats de-duplicate. */
  answer: Map<string, AddrEntry>;
  /** Small (2-10 entry) messages after getaddr: relays, or the whole answer of a node that knows little. */
  tentative: Map<string, AddrEntry>;
  answerMessages: number;
  /** Small unsolicited addr messages (self-announcements, relays) seen, not part of the answer. */
  unsolicited: number;
  truncated: boolean;
}

export interface Step {
  state: MachineState;
  send: Message[];
  /** Set on the message that completes the handshake. */
  handshakeDone?: true;
  /** Set when a message added to the answer (restart the idle timer). */
  answerProgress?: true;
}

/**
 * Core relays addr messages of up to 10 entries at any time, and nodes announce themselves
 * with one. So after getaddr a message of more than 10 entries starts the answer (later parts
 * of a split answer merge whatever their size); 2-10 entries are kept aside and count as the
 * answer only if nothing larger comes; single entries never do.
 */
export const MAX_RELAY_ENTRIES = 10;

export function initialState(): MachineState {
  return {
    phase: 'handshake',
    gotVerack: false,
    sentVerack: false,
    theirAddrV2: false,
    answer: new Map(),
    tentative: new Map(),
    answerMessages: 0,
    unsolicited: 0,
    truncated: false,
  };
}

function legacyField(t: HandshakeParams['target']): NetAddrField {
  const legacy = t.network === 'ipv4' || t.network === 'ipv6';
  return {
    services: 0n,
    network: legacy ? t.network : 'ipv6',
    host: legacy ? t.host : '::',
    port: legacy ? t.port : 0,
  };
}

/** What we send on connect. */
export function openingMessages(p: HandshakeParams): Message[] {
  return [
    {
      command: 'version',
      version: p.protocolVersion,
      services: 0n,
      timestamp: BigInt(p.nowS),
      addrRecv: legacyField(p.target),
      addrFrom: { services: 0n, network: 'ipv6', host: '::', port: 0 },
      nonce: p.nonce,
      userAgent: p.userAgent,
      startHeight: 0,
      relay: false,
    },
    { command: 'sendaddrv2' },
  ];
}

export function step(s: MachineState, msg: Message, p: HandshakeParams): Step {
  const send: Message[] = [];
  let state = s;
  let handshakeDone: true | undefined;
  let answerProgress: true | undefined;

  const completeIfReady = () => {
    if (state.phase === 'handshake' && state.theirVersion && state.gotVerack && state.sentVerack) {
      state = { ...state, phase: 'awaiting_answer' };
      send.push({ command: 'getaddr' });
      handshakeDone = true;
    }
  };

  switch (msg.command) {
    case 'version':
      if (!state.theirVersion) {
        state = { ...state, theirVersion: msg, sentVerack: true };
        send.push({ command: 'verack' });
        completeIfReady();
      }
      break;
    case 'verack':
      if (!state.gotVerack) {
        state = { ...state, gotVerack: true };
        completeIfReady();
      }
      break;
    case 'sendaddrv2':
      if (!state.gotVerack) state = { ...state, theirAddrV2: true };
      break;
    case 'ping':
      send.push({ command: 'pong', nonce: msg.nonce });
      break;
    case 'addr':
    case 'addrv2': {
      const n = msg.addresses.length;
      if (state.phase === 'handshake' || n === 0 || (state.phase === 'awaiting_answer' && n === 1)) {
        state = { ...state, unsolicited: state.unsolicited + 1 };
        break;
      }
      if (state.phase === 'awaiting_answer' && n <= MAX_RELAY_ENTRIES) {
        const tentative = merge(state.tentative, msg.addresses, p.maxAddr);
        state = { ...state, tentative: tentative.into, unsolicited: state.unsolicited + 1 };
        break;
      }
      const merged = merge(state.answer, msg.addresses, p.maxAddr);
      state = {
        ...state,
        phase: 'harvesting',
        answer: merged.into,
        answerMessages: state.answerMessages + 1,
        truncated: state.truncated || merged.truncated,
      };
      answerProgress = true;
      break;
    }
    default:
      // wtxidrelay, sendheaders, sendcmpct, feefilter, inv, getheaders, ...: nothing to answer.
      break;
  }
  return {
    state,
    send,
    ...(handshakeDone ? { handshakeDone } : {}),
    ...(answerProgress ? { answerProgress } : {}),
  };
}

function merge(
  current: Map<string, AddrEntry>,
  entries: readonly AddrEntry[],
  max: number,
): { into: Map<string, AddrEntry>; truncated: boolean } {
  const into = new Map(current);
  for (const a of entries) {
    if (into.size >= max) return { into, truncated: true };
    const key = `${a.network}|${a.host}|${a.port}`;
    if (!into.has(key)) into.set(key, a);
  }
  return { into, truncated: false };
}

/** The harvested answer: the large messages if any came, else the small post-getaddr ones. */
export function finalAnswer(s: MachineState): AddrEntry[] {
  return [...(s.answer.size > 0 ? s.answer : s.tentative).values()];
}
