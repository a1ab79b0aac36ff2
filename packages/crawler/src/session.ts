import { randomFillSync } from 'node:crypto';
import type net from 'node:net';
import { MAX_ERROR_LENGTH, type Observation, type Outcome, truncateText } from '@bitcrawl/model';
import {
  decodeAddrPacked,
  decodeMessage,
  type EllswiftKey,
  EMPTY_PACKED,
  type Endpoint,
  ellswiftCreate,
  type Frame,
  MAX_ADDR_ENTRIES,
  type Message,
  ProtocolError,
  type ProtocolErrorCode,
  V2Transport,
} from '@bitcrawl/protocol';
import type { ByteBudget } from './byte-budget.ts';
import type { Timeouts } from './config.ts';
import { DialError, DialInfrastructureError, dial, type OnData, type Route } from './dial.ts';
import { dialSlot, sessionStart } from './dial-pace.ts';
import {
  acceptsAddr,
  finalPacked,
  type HandshakeFault,
  type HandshakeParams,
  initialState,
  type MachineMessage,
  type MachineState,
  openingMessages,
  step,
  versionFirst,
} from './handshake.ts';
import { V1Wire, V2Wire, type Wire } from './wire.ts';

export const PROTOCOL_VERSION = 70016;

/**
 * The largest frame a crawl session accepts. The largest message a crawl needs is an addrv2
 * of 1000 entries: each at most 4 (time) + 9 (services) + 1 (network id) + 3 (length) + 512
 * (BIP155's address cap) + 2 (port) = 531 bytes, so at most ~520 KiB (about 50 KB with the
 * networks that exist). Core allows 4,000,000; holding that per session would let one hostile
 * peer pin 4 MB (8 GB at 2,000 sessions). A larger declared length ends the session before
 * any payload is buffered: outcome `oversized` before the handshake, `ok` (error noted) after.
 */
export const MAX_CRAWL_FRAME_LENGTH = 1_000_000;

/**
 * The largest frame before the handshake is done. What a peer sends then is version (a few
 * hundred bytes; Core caps the user agent at 256), verack, wtxidrelay, sendaddrv2: 64 KiB is
 * generous, and keeps a peer from making us reassemble and hash megabyte frames we discard.
 */
export const MAX_HANDSHAKE_FRAME_LENGTH = 64 * 1024;

export interface SessionParams {
  crawlId: string;
  /** The target as requested: what the Observation records. */
  target: Endpoint;
  /** What to connect to, when it differs from `target` (canonical form, ::ffff:a.b.c.d as IPv4). */
  dialTarget?: Endpoint;
  route: Route;
  magic: Uint8Array;
  userAgent: string;
  timeouts: Timeouts;
  maxAddr: number;
  maxMessages: number;
  /** The wall clock, for the Observation's time and the version's timestamp. */
  now: () => number;
  signal?: AbortSignal;
  /**
   * Told each time the visit starts waiting in a phase: 'connect', then the reason its timer
   * would end it ('handshake deadline', 'getaddr deadline', 'small answer complete', 'answer
   * complete') and for how long at most (`bitcrawl visit` shows it on a terminal).
   */
  onPhase?: (phase: string, ms: number) => void;
  /**
   * 'v1'; 'v2' (BIP324 only); 'v2-then-v1': v2, and when the peer closes or resets the
   * connection before answering our key, a second connection in v1, as Core does. Default 'v1'.
   */
  transport?: TransportPlan;
  /** Our ephemeral v2 key for this visit (a fresh one per connection); made on demand when absent. */
  v2Key?: () => EllswiftKey;
  /** The engine's budget for unfinished frames; the session accounts its parser against it. */
  budget?: ByteBudget;
  /**
   * Called once a connection is up, before a byte is sent: the visit waits there for one of its
   * worker's session slots (VisitSlots), and its timers start after. False: the visit was
   * aborted while it waited.
   */
  connected?: () => true | Promise<boolean>;
}

export type TransportPlan = 'v1' | 'v2' | 'v2-then-v1';

/** Version nonces come from a pool refilled 512 at a time: one CSPRNG call per 512 sessions. */
const noncePool = Buffer.alloc(4096);
let nonceAt = noncePool.length;
function nextNonce(): bigint {
  if (nonceAt >= noncePool.length) {
    randomFillSync(noncePool);
    nonceAt = 0;
  }
  const n = noncePool.readBigUInt64LE(nonceAt);
  nonceAt += 8;
  return n;
}

/**
 * Their clock minus ours in seconds, clamped to Int32: the version timestamp is any int64 the
 * peer likes (a peer sending milliseconds, or 2^62), and the Observation stores an Int32.
 */
export function clockOffset(theirs: bigint, nowS: number): number {
  const d = theirs - BigInt(nowS);
  if (d > 0x7fff_ffffn) return 0x7fff_ffff;
  if (d < -0x8000_0000n) return -0x8000_0000;
  return Number(d);
}

const PROTOCOL_OUTCOME: Record<ProtocolErrorCode, Outcome> = {
  BAD_MAGIC: 'bad_magic',
  BAD_CHECKSUM: 'bad_checksum',
  OVERSIZED: 'oversized',
  // v2: a packet failing its Poly1305 tag is the v2 form of a bad checksum; no garbage
  // terminator where BIP324 requires one is a malformed stream.
  BAD_MAC: 'bad_checksum',
  NO_GARBAGE_TERMINATOR: 'malformed',
  BAD_COMMAND: 'malformed',
  TRUNCATED: 'malformed',
  MALFORMED: 'malformed',
  TOO_MANY_ENTRIES: 'malformed',
  BAD_ADDRESS: 'malformed',
};

/**
 * One visit: dial, run the handshake machine over the socket, harvest the getaddr answer,
 * disconnect. Every timer and the socket are released on every path. Never throws for
 * anything the peer does; the Observation says what happened, and over which transport.
 */
export async function runSession(p: SessionParams): Promise<Observation> {
  // Paced: a burst of dials is spread over a few turns of the event loop (see dialSlot).
  await dialSlot();
  const startedAt = p.now();
  // Deadlines and durations run on the monotonic clock: a wall clock stepped back (NTP, a VM
  // restored) must neither stretch a visit past its cap nor make a duration negative. The cap
  // covers both connections of a v1 fallback.
  const deadline = performance.now() + p.timeouts.sessionMs;
  const plan = p.transport ?? 'v1';
  const v1 = () => new V1Wire(p.magic, MAX_HANDSHAKE_FRAME_LENGTH);
  if (plan === 'v1') return (await attempt(p, 'v1', v1, startedAt, deadline)).obs;
  // The key is made once the connection is up: most gossiped addresses never answer a dial,
  // and a key costs milliseconds of CPU.
  const v2 = () =>
    new V2Wire(
      new V2Transport({
        magic: p.magic,
        role: 'initiator',
        key: p.v2Key ? p.v2Key() : ellswiftCreate(),
        maxLength: MAX_HANDSHAKE_FRAME_LENGTH,
      }),
    );
  const first = await attempt(p, 'v2', v2, startedAt, deadline);
  const end = deadline + first.waitedMs;
  if (plan === 'v2' || !first.refusedV2 || p.signal?.aborted || performance.now() >= end) return first.obs;
  const second = await attempt(p, 'v1', v1, startedAt, end);
  return { ...second.obs, v2Fallback: true };
}

/**
 * Waits for the visit's session slot with the connection up and silent (the peer waits for our
 * first message). Returns how long that took, or why the visit cannot go on: the peer closed the
 * connection meanwhile, or the visit was aborted.
 */
async function sessionSlot(
  socket: net.Socket,
  take: () => true | Promise<boolean>,
): Promise<number | { outcome: Outcome; error: string }> {
  const slot = take();
  if (slot === true) return 0;
  const from = performance.now();
  let lost: string | undefined;
  // dial() leaves no listener on a connected socket: without these an 'error' would be thrown.
  const onError = (err: NodeJS.ErrnoException) => {
    lost ??= `${err.code ?? 'error'}: ${err.message}`;
  };
  const onClose = () => {
    lost ??= 'peer closed the connection before the session began';
  };
  socket.on('error', onError);
  socket.once('close', onClose);
  const taken = await slot;
  // Paced as a new connection would be: its session starts in a turn with budget left.
  if (taken) await sessionStart();
  socket.off('error', onError);
  socket.off('close', onClose);
  // As a session aborted or closed before the handshake ends.
  if (!taken) return { outcome: 'handshake_timeout', error: 'visit aborted' };
  if (lost) return { outcome: 'closed', error: lost };
  return performance.now() - from;
}

/**
 * One connection over one wire. `refusedV2`: v2, and the peer hung up without a byte.
 * `waitedMs`: how long it waited for a session slot (its deadline moved by that much).
 */
async function attempt(
  p: SessionParams,
  kind: Wire['kind'],
  makeWire: () => Wire,
  startedAt: number,
  deadline: number,
): Promise<{ obs: Observation; refusedV2: boolean; waitedMs: number }> {
  const base = {
    ts: startedAt,
    crawlId: p.crawlId,
    // Field by field: the target may be a wider object (a job, a candidate with services).
    network: p.target.network,
    host: p.target.host,
    port: p.target.port,
    transport: kind,
    v2Fallback: false,
    v2SessionId: '',
  };
  const t0 = performance.now();
  const peer = p.dialTarget ?? p.target;
  // Bytes that arrive before the session below takes over are copied aside (the dialer's read
  // buffer is reused); in practice none do, since it takes over as soon as the dial resolves.
  let early: Uint8Array[] | undefined = [];
  let earlyBytes = 0;
  let onData: OnData = (chunk) => {
    earlyBytes += chunk.length;
    if (earlyBytes <= MAX_CRAWL_FRAME_LENGTH) early?.push(Uint8Array.from(chunk)); // bounded all the same
  };
  let socket: net.Socket;
  p.onPhase?.('connect', Math.min(p.timeouts.connectMs, p.timeouts.sessionMs));
  try {
    socket = await dial(
      peer,
      p.route,
      Math.max(1, Math.min(p.timeouts.connectMs, deadline - t0)),
      p.signal,
      (chunk) => onData(chunk),
    );
  } catch (err) {
    if (err instanceof DialInfrastructureError) throw err; // ours, not the peer's: retried later
    const e = err instanceof DialError ? err : new DialError('unreachable', String(err));
    return {
      obs: {
        ...base,
        outcome: e.code,
        error: e.message,
        peer: null,
        connectMs: Math.round(performance.now() - t0),
        handshakeMs: 0,
        addrs: EMPTY_PACKED,
      },
      refusedV2: false,
      waitedMs: 0,
    };
  }
  const connectMs = Math.round(performance.now() - t0);
  const slot = p.connected ? await sessionSlot(socket, p.connected) : 0;
  if (typeof slot !== 'number') {
    socket.destroy();
    return {
      obs: { ...base, ...slot, peer: null, connectMs, handshakeMs: 0, addrs: EMPTY_PACKED },
      refusedV2: false,
      waitedMs: 0,
    };
  }
  const waitedMs = slot;
  deadline += waitedMs;
  const connectedAt = performance.now();
  const wire = makeWire();
  return new Promise<{ obs: Observation; refusedV2: boolean; waitedMs: number }>((resolve) => {
    const params: HandshakeParams = {
      protocolVersion: PROTOCOL_VERSION,
      userAgent: p.userAgent,
      target: peer,
      nonce: nextNonce(),
      nowS: Math.floor(p.now() / 1000),
      maxAddr: p.maxAddr,
    };
    let state: MachineState = initialState();
    let handshakeAt = 0;
    let messages = 0;
    /** Addr entries decoded so far: bounded, so repeats cannot keep us hashing and formatting. */
    let entries = 0;
    const entryBudget = 2 * p.maxAddr + 2 * MAX_ADDR_ENTRIES;
    let finished = false;
    let phaseTimer: NodeJS.Timeout | undefined;
    /** Absolute end of the getaddr wait; a tentative answer never extends it. */
    let getaddrDeadline = deadline;

    /**
     * (Re)arms the one timer of the visit: `ms` from now, but never past `until` nor the session
     * cap. Some phase is always armed from the start to the end, so this one timer also
     * enforces the cap (one timer per visit, not two: thousands run at once).
     */
    const arm = (ms: number, why: string, until = deadline) => {
      clearTimeout(phaseTimer);
      const now = performance.now();
      const wait = Math.min(ms, until - now);
      const capped = deadline - now <= wait;
      p.onPhase?.(why, Math.max(0, wait));
      phaseTimer = setTimeout(
        () => finish(capped ? 'session time cap reached' : why),
        Math.max(0, capped ? deadline - now : wait),
      );
    };

    /** `final`: the outcome stands even after the handshake (the budget shed the visit). */
    const finish = (why: string, failure?: { outcome: Outcome; error: string; final?: true }) => {
      if (finished) return;
      finished = true;
      account?.close();
      clearTimeout(phaseTimer);
      p.signal?.removeEventListener('abort', onAbort);
      // Errors after our own destroy() still reach the 'error' listener below, which ignores them.
      socket.destroy();
      const done = state.phase !== 'handshake';
      const v = state.theirVersion;
      const outcome: Outcome = failure?.final
        ? failure.outcome
        : done
          ? 'ok'
          : (failure?.outcome ?? 'handshake_timeout');
      // After a completed handshake a close is the normal end; only a protocol fault is worth noting.
      const notes: string[] = [];
      if (failure && failure.outcome !== 'closed') notes.push(`after handshake: ${failure.error}`);
      if (state.truncated) notes.push(`answer truncated at ${p.maxAddr} addresses`);
      const afterDone = notes.join('; ');
      const error = failure?.final ? failure.error : done ? afterDone : (failure?.error ?? why);
      // Core's v1 fallback: the peer hung up before sending a byte; ours also takes a v1 answer.
      const refusedV2 =
        wire.kind === 'v2' &&
        !done &&
        ((failure?.outcome === 'closed' && wire.received === 0) || wire.answeredV1);
      const obs: Observation = {
        ...base,
        v2SessionId: wire.sessionIdHex(),
        outcome,
        error: truncateText(error, MAX_ERROR_LENGTH),
        peer: v
          ? {
              protocolVersion: v.version,
              services: v.services,
              userAgent: v.userAgent,
              startHeight: v.startHeight,
              relay: v.relay ?? true,
              clockOffsetS: clockOffset(v.timestamp, params.nowS),
            }
          : null,
        connectMs,
        handshakeMs: done ? Math.round(handshakeAt - connectedAt) : 0,
        addrs: done ? finalPacked(state) : EMPTY_PACKED,
      };
      resolve({ obs, refusedV2, waitedMs });
    };
    const overBudget = (error: string) => finish('byte budget', { outcome: 'malformed', error, final: true });
    const account = p.budget?.open(overBudget);
    const onAbort = () => finish('aborted', { outcome: 'handshake_timeout', error: 'visit aborted' });
    p.signal?.addEventListener('abort', onAbort, { once: true });

    // One write per chunk: what every frame of a chunk asks for (verack and getaddr, when
    // Core's handshake burst arrives whole) goes in one socket write, one syscall; over v2 the
    // transport's own bytes (terminator, version packet) and our opening messages join it.
    let opened = false;
    const send = (msgs: readonly Message[], transportBytes?: Uint8Array) => {
      const parts: Uint8Array[] = [];
      if (transportBytes) parts.push(transportBytes);
      if (!opened && wire.ready) {
        opened = true;
        parts.push(wire.encode(openingMessages(params)));
      }
      if (msgs.length > 0) parts.push(wire.encode(msgs));
      if (parts.length === 1) socket.write(parts[0] as Uint8Array);
      else if (parts.length > 1) socket.write(Buffer.concat(parts));
    };

    /** A rule Core disconnects for (obsolete version, version not first): `malformed`. */
    const fail = (f: HandshakeFault): undefined => {
      finish('handshake rule', { outcome: 'malformed', error: `${f.code}: ${f.reason}` });
      return undefined;
    };

    /**
     * Runs the frames of one chunk through the machine; what they ask to send is added to `out`.
     * Returns why the visit is over when the answer is whole.
     */
    const consume = (frames: readonly Frame[], out: Message[]): string | undefined => {
      for (const frame of frames) {
        if (finished) return undefined;
        if (++messages + wire.ignored > p.maxMessages) {
          finish('too many messages', { outcome: 'malformed', error: 'message limit reached' });
          return undefined;
        }
        const isAddr = frame.command === 'addr' || frame.command === 'addrv2';
        // What the machine would discard is not decoded: a peer could otherwise make us hash
        // and format up to 1000 entries a frame (Tor v3: a SHA3 each) for nothing.
        if (isAddr && !acceptsAddr(state, p.maxAddr)) {
          const fault = versionFirst(state, frame.command);
          if (fault) return fail(fault);
          continue;
        }
        let msg: MachineMessage;
        try {
          // Addresses go packed from the frame to the Observation: no string or object per entry.
          msg = isAddr
            ? decodeAddrPacked(frame.command as 'addr' | 'addrv2', frame.payload)
            : decodeMessage(frame);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          // Core disconnects a peer sending more than 1000 entries (misbehaviour); we end the
          // visit too, keeping what was harvested, with the error noted.
          finish('bad payload', {
            outcome: PROTOCOL_OUTCOME[err.code],
            error: `${err.code}: ${frame.command}: ${err.message}`,
          });
          return undefined;
        }
        if (msg.command === 'addr' || msg.command === 'addrv2') {
          // Skipped entries (unknown network ids, ...) were parsed too: they count.
          entries += ('packed' in msg ? msg.packed.count : msg.addresses.length) + msg.skipped;
          if (entries > entryBudget) {
            finish('address budget', {
              outcome: 'malformed',
              error: `more than ${entryBudget} addresses received`,
            });
            return undefined;
          }
        }
        const r = step(state, msg, params);
        state = r.state;
        if (r.fail) return fail(r.fail);
        for (const m of r.send) out.push(m);
        if (r.handshakeDone) {
          wire.setMaxLength(MAX_CRAWL_FRAME_LENGTH); // the answer may now come
          handshakeAt = performance.now();
          getaddrDeadline = handshakeAt + p.timeouts.getaddrMs;
          arm(p.timeouts.getaddrMs, 'getaddr deadline');
        }
        // The caller ends the visit at once: no idle timer to arm (and clear) first.
        if (r.answerFull) return 'answer full';
        if (r.answerComplete) return 'answer complete';
        // Armed once: Core answers promptly, relays trickle in at random and must not keep us.
        if (r.tentativeStarted) arm(p.timeouts.tentativeIdleMs, 'small answer complete', getaddrDeadline);
        // Each new part restarts the idle gap, but never past the getaddr deadline plus one gap.
        if (r.answerProgress)
          arm(
            p.timeouts.idleAfterAnswerMs,
            'answer complete',
            getaddrDeadline + p.timeouts.idleAfterAnswerMs,
          );
      }
      return undefined;
    };

    onData = (chunk) => {
      if (finished) return;
      const { frames, error, send: transportBytes } = wire.feed(chunk);
      const out: Message[] = [];
      const over = consume(frames, out);
      if (finished) return;
      if (account && (wire.inFrame || account.bytes > 0)) {
        const refused = account.update(wire.frameStart, wire.pendingLength, wire.allocated);
        if (refused) return overBudget(refused);
        if (finished) return; // shed to make room
      }
      // A pong owed in the chunk that completes the answer is not sent: we disconnect now, and a
      // write just before the close costs both ends a syscall and the peer a read for nothing.
      if (over) return finish(over);
      send(out, transportBytes);
      if (error)
        finish('framing', {
          outcome: PROTOCOL_OUTCOME[error.code],
          error: `${error.code}: ${error.message}`,
        });
    };
    socket.on('error', (err: NodeJS.ErrnoException) =>
      finish('socket error', { outcome: 'closed', error: `${err.code ?? 'error'}: ${err.message}` }),
    );
    socket.on('close', () =>
      finish('peer closed', { outcome: 'closed', error: 'peer closed the connection' }),
    );
    socket.on('end', () => finish('peer closed', { outcome: 'closed', error: 'peer closed the connection' }));

    arm(p.timeouts.handshakeMs, 'handshake deadline');
    const hello = wire.hello();
    if (hello) socket.write(hello);
    send([]); // v1: version and sendaddrv2 now; v2: once the peer's key is in
    if (earlyBytes > MAX_CRAWL_FRAME_LENGTH)
      finish('framing', {
        outcome: 'oversized',
        error: `over ${MAX_CRAWL_FRAME_LENGTH} bytes before the session began`,
      });
    for (const chunk of early ?? []) onData(chunk);
    early = undefined;
  });
}
