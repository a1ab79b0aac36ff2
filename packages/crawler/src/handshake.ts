import {
  type AddrEntry,
  type Endpoint,
  endpointKey,
  keyStart,
  type Message,
  type NetAddrField,
  type PackedAddrMessage,
  type PackedAddrs,
  type PackedList,
  packedListOf,
  servicesAt,
  timeAt,
  type VersionMessage,
} from '@bitcrawl/protocol';
import { AddressSet } from './address-set.ts';

/**
 * The client side of a visit as a pure state machine: feed it the peer's messages, send what
 * it returns. No sockets, no timers: the session owns those and asks `phase` what to wait for.
 *
 * Order, as Bitcoin Core expects it from an inbound peer: we send version and sendaddrv2 at
 * once, verack only after their version arrives (sendaddrv2 or wtxidrelay after our verack
 * makes Core disconnect), and getaddr right behind that verack, in the same write: Core's own
 * order as an outbound peer (its VERSION handler pushes VERACK, then GETADDR), so the answer
 * is one round trip sooner. A peer handles our getaddr after our verack, whatever order its
 * own messages take; the handshake is done, and the answer awaited, once their verack is in.
 */

export type Phase = 'handshake' | 'awaiting_answer' | 'harvesting';

export interface HandshakeParams {
  protocolVersion: number;
  userAgent: string;
  target: Endpoint;
  nonce: bigint;
  /** Our clock, Unix seconds. */
  nowS: number;
  maxAddr: number;
}

/**
 * The machine is pure in what it decides, but for speed the two address sets are mutated in
 * place (an answer is up to maxAddr entries; copying them on every message would cost
 * O(n) per message). So a state passed to `step` is consumed: keep using the returned one.
 */
export interface MachineState {
  phase: Phase;
  theirVersion?: VersionMessage;
  gotVerack: boolean;
  sentVerack: boolean;
  /** Peer asked for addrv2 (it sent sendaddrv2 before its verack). */
  theirAddrV2: boolean;
  /** Merged getaddr answer: parts and repeats de-duplicate by endpoint. */
  answer: AddressSet;
  /** Small (1-10 entry) messages after getaddr: relays, or the whole answer of a node that knows little. */
  tentative: AddressSet;
  answerMessages: number;
  tentativeMessages: number;
  /** Addr messages that are not part of the answer (before getaddr, empty, self-announcements). */
  unsolicited: number;
  /** The answer reached maxAddr and entries were dropped. */
  truncated: boolean;
}

export interface Step {
  state: MachineState;
  send: Message[];
  /** Set on the message that completes the handshake. */
  handshakeDone?: true;
  /** Set when a message added new entries to the answer (restart the idle timer). */
  answerProgress?: true;
  /** Set on the first small message after getaddr (start the tentative timer, once). */
  tentativeStarted?: true;
  /** Set when the answer holds maxAddr entries: nothing more can be kept, end the visit. */
  answerFull?: true;
  /** Set when the answer is known to be whole (see `sendsWholeAnswer`): end the visit now. */
  answerComplete?: true;
  /** Set when the peer broke a rule Core disconnects for: end the visit as `malformed`. */
  fail?: HandshakeFault;
}

/** Core's MIN_PEER_PROTO_VERSION: it disconnects a peer announcing an older protocol version. */
export const MIN_PEER_PROTO_VERSION = 31800;

export interface HandshakeFault {
  code: 'OBSOLETE_VERSION' | 'VERSION_NOT_FIRST';
  reason: string;
}

/**
 * The first message must be `version`: a peer that opens with anything else (verack, ping, an
 * addr, an unknown command) is not running the protocol, and counting it reachable would be
 * looser than Core. `command` is the wire command (also for frames the session does not decode).
 */
export function versionFirst(s: MachineState, command: string): HandshakeFault | undefined {
  if (s.theirVersion || command === 'version') return undefined;
  return { code: 'VERSION_NOT_FIRST', reason: `"${command}" before the peer's version` };
}

/**
 * Bitcoin Core sends its whole getaddr answer in one message (it holds at most 1000 entries,
 * MAX_ADDR_TO_SEND), so once a Core node that negotiated addrv2 has sent a larger-than-relay
 * addrv2, nothing more will come and waiting out the idle gap only holds the socket and the
 * memory. Other software, and Core before addrv2 (0.21), keeps the idle-gap rule, since some
 * implementations split their answers.
 */
export function sendsWholeAnswer(s: MachineState, command: 'addr' | 'addrv2'): boolean {
  return command === 'addrv2' && s.theirAddrV2 && /^\/Satoshi:\d/.test(s.theirVersion?.userAgent ?? '');
}

/**
 * Core answers getaddr promptly, in one message, with 23% of its table (floor) up to 1000;
 * it also relays addr messages of up to 10 entries at any time, and nodes announce themselves
 * with a one-entry message. So after getaddr a message of more than 10 entries starts the
 * answer (later parts of a split answer merge whatever their size). 1-10 entries are kept
 * aside and count as the answer only if nothing larger comes: a node that knows 5-8
 * addresses answers exactly one, 9-47 answer 2-10. A one-entry message carrying the peer's
 * own address is its self-announcement and never counts.
 */
export const MAX_RELAY_ENTRIES = 10;

/**
 * How many entries the small post-getaddr messages may add up to. A real small answer is at
 * most 10 entries and relays trickle in a few at a time; a peer streaming small messages must
 * not make us hold maxAddr entries that the final answer may never use.
 */
export const MAX_TENTATIVE_ENTRIES = 100;

export function initialState(): MachineState {
  return {
    phase: 'handshake',
    gotVerack: false,
    sentVerack: false,
    theirAddrV2: false,
    answer: new AddressSet(),
    tentative: new AddressSet(),
    answerMessages: 0,
    tentativeMessages: 0,
    unsolicited: 0,
    truncated: false,
  };
}

/** A copy of `s` that `step` can consume while `s` stays usable (to explore two continuations). */
export function forkState(s: MachineState): MachineState {
  return { ...s, answer: s.answer.clone(), tentative: s.tentative.clone() };
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

/**
 * The handshake is done once both versions and veracks are exchanged (getaddr went out with
 * our verack). A module function, not a closure in `step`: step runs for every message of
 * thousands of sessions.
 */
function completeIfReady(state: MachineState, r: Step): MachineState {
  if (state.phase === 'handshake' && state.theirVersion && state.gotVerack && state.sentVerack) {
    r.handshakeDone = true;
    return { ...state, phase: 'awaiting_answer' };
  }
  return state;
}

/**
 * What `step` takes: any message, an addr/addrv2 either decoded (AddrEntry lists) or, on the
 * crawl session's path, packed (decodeAddrPacked: no strings per entry).
 */
export type MachineMessage = Message | PackedAddrMessage;

export function step(s: MachineState, msg: MachineMessage, p: HandshakeParams): Step {
  // The result is built in place (its flags set as they arise), `state` filled in at the end.
  const r: Step = { state: s, send: [] };
  const send = r.send;
  let state = s;

  const fault = versionFirst(state, msg.command === 'unknown' ? msg.name : msg.command);
  if (fault) {
    r.fail = fault;
    return r;
  }
  switch (msg.command) {
    case 'version':
      if (!state.theirVersion && msg.version < MIN_PEER_PROTO_VERSION) {
        // Kept, so the Observation shows what the peer announced.
        r.state = { ...state, theirVersion: msg };
        r.fail = {
          code: 'OBSOLETE_VERSION',
          reason: `protocol version ${msg.version} below ${MIN_PEER_PROTO_VERSION} (Core disconnects it)`,
        };
        return r;
      }
      if (!state.theirVersion) {
        state = { ...state, theirVersion: msg, sentVerack: true };
        send.push({ command: 'verack' }, { command: 'getaddr' });
        state = completeIfReady(state, r);
      }
      break;
    case 'verack':
      if (!state.gotVerack) {
        state = { ...state, gotVerack: true };
        state = completeIfReady(state, r);
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
      const list = 'packed' in msg ? msg.packed : packedListOf(msg.addresses);
      const n = list.count;
      if (!acceptsAddr(state, p.maxAddr) || n === 0 || isSelfAnnouncement(state, list, p)) {
        state = { ...state, unsolicited: state.unsolicited + 1 };
        break;
      }
      if (state.phase === 'awaiting_answer' && n <= MAX_RELAY_ENTRIES) {
        state.tentative.add(list, Math.min(p.maxAddr, MAX_TENTATIVE_ENTRIES));
        if (state.tentativeMessages === 0) r.tentativeStarted = true;
        state = { ...state, tentativeMessages: state.tentativeMessages + 1 };
        break;
      }
      const before = state.answer.size;
      const truncated = state.answer.add(list, p.maxAddr);
      state = {
        ...state,
        phase: 'harvesting',
        // The small messages are only the answer when no large one comes: one has.
        tentative: state.tentative.size > 0 ? new AddressSet() : state.tentative,
        answerMessages: state.answerMessages + 1,
        truncated: state.truncated || truncated,
      };
      // Only new entries are progress: a peer resending what we have must not keep the visit open.
      if (state.answer.size > before) r.answerProgress = true;
      if (state.answer.size >= p.maxAddr) r.answerFull = true;
      if (state.answerMessages === 1 && sendsWholeAnswer(state, msg.command)) r.answerComplete = true;
      break;
    }
    default:
      // wtxidrelay, sendheaders, sendcmpct, feefilter, inv, getheaders, ...: nothing to answer.
      break;
  }
  r.state = state;
  return r;
}

/**
 * Whether an addr/addrv2 message could count now. When not (still in the handshake, or the
 * answer is full) `step` only counts it as unsolicited, so the session need not decode it.
 */
export function acceptsAddr(s: MachineState, maxAddr: number): boolean {
  return s.phase !== 'handshake' && s.answer.size < maxAddr;
}

/**
 * How far a self-announcement's time may be from the peer's version timestamp: Core stamps its
 * own address with its clock when it queues it, right after the handshake.
 */
export const SELF_ANNOUNCEMENT_CLOCK_S = 600;

/**
 * A self-announcement: an unsolicited one-entry message before the answer, from the peer, about
 * itself on any of its networks. Core advertises its local address (GetLocalAddrForPeer) to
 * each peer after the handshake as one entry stamped with its own clock, its listening port and
 * its own services; a dual-stack node we reach over IPv6 may name its IPv4 address. So the
 * entry is the peer's if it is the host we dialed, or if it carries our target's port, the
 * services its version announced and a time within SELF_ANNOUNCEMENT_CLOCK_S of its version's
 * timestamp. A tiny answer (a node knowing 5-8 addresses answers one entry) whose one entry
 * happens to match all three is lost; it could not be told apart.
 */
function isSelfAnnouncement(s: MachineState, list: PackedList, p: HandshakeParams): boolean {
  if (s.phase !== 'awaiting_answer' || list.count !== 1) return false;
  const b = list.bytes;
  const at = list.starts[0] as number;
  const k = keyStart(b, at);
  const end = list.starts[1] as number;
  // The host we dialed: the entry's network id, length and address equal the target key's.
  const target = targetKey(p.target);
  const hostLen = end - 2 - k;
  let sameHost = target.length - 2 === hostLen;
  for (let i = 0; sameHost && i < hostLen; i++) sameHost = b[k + i] === target[i];
  if (sameHost) return true;
  const v = s.theirVersion;
  const port = ((b[end - 2] as number) << 8) | (b[end - 1] as number);
  if (!v || port !== p.target.port || servicesAt(b, at) !== v.services) return false;
  const skew = BigInt(timeAt(b, at)) - v.timestamp;
  return skew <= BigInt(SELF_ANNOUNCEMENT_CLOCK_S) && skew >= -BigInt(SELF_ANNOUNCEMENT_CLOCK_S);
}

/** The target's frontier key; an empty key (matching no entry) for a host that is not canonical. */
function targetKey(t: Endpoint): Uint8Array {
  try {
    return endpointKey(t);
  } catch {
    return new Uint8Array(0);
  }
}

/** The harvested answer: the large messages if any came, else the small post-getaddr ones. */
export function finalAnswer(s: MachineState): AddrEntry[] {
  return (s.answer.size > 0 ? s.answer : s.tentative).values();
}

/** finalAnswer as the Observation carries it (PackedAddrs), made without an object per entry. */
export function finalPacked(s: MachineState): PackedAddrs {
  return (s.answer.size > 0 ? s.answer : s.tentative).packed();
}
