import { ProtocolError } from '../errors.ts';
import { MAX_MESSAGE_LENGTH } from '../framer.ts';
import type { Frame } from '../parser.ts';
import { deriveKeys, LENGTH_FIELD_LEN, PacketOpener, PacketSealer, TAG_LEN } from './cipher.ts';
import { type EllswiftKey, ellswiftCreate, v2Ecdh } from './ellswift-key.ts';
import { decodeContents, encodeContents } from './message-type.ts';
import { fillRandom, randomBelow } from './random.ts';

/** BIP324: at most 4095 garbage bytes before the 16-byte terminator. */
export const MAX_GARBAGE_LEN = 4095;
const TERMINATOR_LEN = 16;
const KEY_LEN = 64;
/** The longest message type field (0 + a 12-byte command): contents may exceed maxLength by this. */
const TYPE_LEN = 13;

export type V2Role = 'initiator' | 'responder';

export interface V2Options {
  magic: Uint8Array;
  role: V2Role;
  /** Our ephemeral key (a fresh one per connection); made here when not given. */
  key?: EllswiftKey;
  /** The garbage we send after our key; by default 0-4095 random bytes, as Bitcoin Core sends. */
  garbage?: Uint8Array;
  /** Largest message payload accepted, as FrameParser's maxLength. */
  maxLength?: number;
}

export interface V2Feed {
  /** Bytes to send now (our garbage terminator and version packet, once their key is in). */
  send?: Uint8Array;
  /** Application messages, in the shape the v1 FrameParser gives (offset: the packet's). */
  frames: Frame[];
  /** The first failure; the transport is then unusable and the connection must be dropped. */
  error?: ProtocolError;
}

type RecvState = 'key' | 'garbage' | 'length' | 'packet' | 'failed';

/**
 * One end of a BIP324 v2 connection, socket-free: `start()` gives the bytes to send on
 * connect, `feed()` takes what the peer sent and returns what to send back and the messages
 * decoded, `encode()` seals a message once `ready`. The transport version packet and decoys
 * are handled here; the application sees the same Frames as over v1. Every buffer is bounded:
 * the key (64), the garbage (4095 + 16), one packet (maxLength + 13 + 20).
 */
export class V2Transport {
  readonly key: EllswiftKey;
  private readonly garbage: Uint8Array;
  private readonly role: V2Role;
  private readonly magic: Uint8Array;
  private maxLength: number;
  private sealer: PacketSealer | undefined;
  private opener: PacketOpener | undefined;
  private recvTerminator: Uint8Array | undefined;
  private id: Uint8Array | undefined;
  private state: RecvState = 'key';
  /** Their key, then their garbage (+ terminator), then a split packet: one buffer at a time. */
  private buf = new Uint8Array(KEY_LEN);
  private fill = 0;
  private readonly lenBytes = new Uint8Array(LENGTH_FIELD_LEN);
  private packetLen = 0;
  /** AAD of the first packet we receive: their garbage. */
  private theirGarbage: Uint8Array | undefined;
  private gotVersion = false;
  private offset = 0;
  private packetStart = 0;
  private failure: ProtocolError | undefined;
  /** Decoy packets received (ignored; counted so a session can bound them). */
  decoys = 0;

  constructor(o: V2Options) {
    this.magic = o.magic;
    this.role = o.role;
    this.key = o.key ?? ellswiftCreate();
    this.garbage = o.garbage ?? fillRandom(new Uint8Array(randomBelow(MAX_GARBAGE_LEN + 1)));
    if (this.garbage.length > MAX_GARBAGE_LEN) throw new RangeError('at most 4095 bytes of garbage');
    this.maxLength = checkMax(o.maxLength ?? MAX_MESSAGE_LENGTH);
  }

  /** Our key and garbage: what we send first. */
  start(): Uint8Array {
    const out = new Uint8Array(KEY_LEN + this.garbage.length);
    out.set(this.key.ellswift);
    out.set(this.garbage, KEY_LEN);
    return out;
  }

  /** Their key is in: messages can be encoded. */
  get ready(): boolean {
    return this.sealer !== undefined;
  }
  /** Their transport version packet is in: the v2 handshake is complete. */
  get versionReceived(): boolean {
    return this.gotVersion;
  }
  /** BIP324's session id, once their key is in. */
  get sessionId(): Uint8Array | undefined {
    return this.id;
  }
  /** Bytes received so far. */
  get received(): number {
    return this.offset;
  }

  /** An unfinished packet (or the key, or garbage) is held: ending here truncates it. */
  get inPacket(): boolean {
    return this.state === 'packet' || (this.state !== 'failed' && this.fill > 0);
  }
  /** Stream offset of the packet being assembled. */
  get packetOffset(): number {
    return this.packetStart;
  }
  /** The sealed length of the packet being assembled once its length is read, else -1. */
  get pendingLength(): number {
    return this.state === 'packet' ? this.packetLen : -1;
  }
  /** Bytes allocated for what is being assembled (the key, garbage or packet buffer). */
  get allocated(): number {
    return this.buf.length;
  }

  setMaxLength(max: number): void {
    this.maxLength = checkMax(max);
  }

  /** One sealed packet carrying a message. */
  encode(command: string, payload: Uint8Array): Uint8Array {
    if (!this.sealer) throw new Error('v2 transport: encode before the peer key arrived');
    return this.sealer.seal(encodeContents(command, payload));
  }

  feed(chunk: Uint8Array): V2Feed {
    const frames: Frame[] = [];
    if (this.failure) return { frames, error: this.failure };
    let send: Uint8Array | undefined;
    let at = 0;
    try {
      while (at < chunk.length) {
        switch (this.state) {
          case 'key': {
            const n = Math.min(KEY_LEN - this.fill, chunk.length - at);
            this.buf.set(chunk.subarray(at, at + n), this.fill);
            this.fill += n;
            at += n;
            if (this.fill === KEY_LEN) send = this.keyReceived();
            break;
          }
          case 'garbage':
            at = this.scanGarbage(chunk, at);
            break;
          case 'length': {
            const n = Math.min(LENGTH_FIELD_LEN - this.fill, chunk.length - at);
            this.lenBytes.set(chunk.subarray(at, at + n), this.fill);
            this.fill += n;
            at += n;
            if (this.fill === LENGTH_FIELD_LEN) this.lengthReceived();
            break;
          }
          case 'packet': {
            const need = this.packetLen - this.fill;
            if (this.fill === 0 && chunk.length - at >= need) {
              this.packetReceived(chunk.subarray(at, at + need), frames); // whole in the chunk: no copy
              at += need;
            } else {
              const n = Math.min(need, chunk.length - at);
              this.buf.set(chunk.subarray(at, at + n), this.fill);
              this.fill += n;
              at += n;
              if (this.fill === this.packetLen)
                this.packetReceived(this.buf.subarray(0, this.packetLen), frames);
            }
            break;
          }
          default:
            at = chunk.length;
        }
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.failure = err;
      this.state = 'failed';
      this.buf = new Uint8Array(0);
      return send ? { send, frames, error: err } : { frames, error: err };
    } finally {
      this.offset += at;
    }
    return send ? { send, frames } : { frames };
  }

  private keyReceived(): Uint8Array {
    const theirs = this.buf.slice(0, KEY_LEN);
    const initiating = this.role === 'initiator';
    // A v1 version header from a peer on another network (BIP324's responder check).
    if (!initiating && isV1VersionHeader(theirs)) {
      throw new ProtocolError('BAD_MAGIC', 'v1 version message with another network magic', 0);
    }
    const keys = deriveKeys(v2Ecdh(this.key, theirs, initiating), this.magic);
    this.id = keys.sessionId;
    const [sendL, sendP, recvL, recvP, sendT, recvT] = initiating
      ? [
          keys.initiatorL,
          keys.initiatorP,
          keys.responderL,
          keys.responderP,
          keys.initiatorGarbageTerminator,
          keys.responderGarbageTerminator,
        ]
      : [
          keys.responderL,
          keys.responderP,
          keys.initiatorL,
          keys.initiatorP,
          keys.responderGarbageTerminator,
          keys.initiatorGarbageTerminator,
        ];
    this.sealer = new PacketSealer(sendL, sendP);
    this.opener = new PacketOpener(recvL, recvP);
    this.recvTerminator = recvT;
    this.state = 'garbage';
    this.buf = new Uint8Array(MAX_GARBAGE_LEN + TERMINATOR_LEN);
    this.fill = 0;
    // Our terminator, then the version packet (empty contents) with our garbage as its AAD.
    const version = this.sealer.seal(new Uint8Array(0), this.garbage);
    const out = new Uint8Array(TERMINATOR_LEN + version.length);
    out.set(sendT);
    out.set(version, TERMINATOR_LEN);
    return out;
  }

  /** Copies garbage bytes until the terminator ends them; returns where the packets begin. */
  private scanGarbage(chunk: Uint8Array, at: number): number {
    const before = this.fill;
    const n = Math.min(this.buf.length - before, chunk.length - at);
    this.buf.set(chunk.subarray(at, at + n), before);
    this.fill += n;
    // Earlier calls found no terminator in buf[0..before): one found now ends past `before`.
    const view = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.fill);
    const hit = view.indexOf(this.recvTerminator as Uint8Array, Math.max(0, before - (TERMINATOR_LEN - 1)));
    if (hit < 0) {
      if (this.fill === this.buf.length) {
        throw new ProtocolError(
          'NO_GARBAGE_TERMINATOR',
          `no garbage terminator within ${MAX_GARBAGE_LEN} bytes`,
          KEY_LEN,
        );
      }
      return at + n;
    }
    const used = hit + TERMINATOR_LEN - before;
    this.theirGarbage = this.buf.slice(0, hit);
    this.buf = new Uint8Array(0);
    this.startLength(this.offset + at + used);
    return at + used;
  }

  private startLength(packetStart: number): void {
    this.state = 'length';
    this.fill = 0;
    this.packetStart = packetStart;
  }

  private lengthReceived(): void {
    const n = (this.opener as PacketOpener).openLength(this.lenBytes, 0);
    // Decoys and the version packet are bounded by the same limit as messages.
    if (n > this.maxLength + TYPE_LEN) {
      throw new ProtocolError(
        'OVERSIZED',
        `v2 packet of ${n} bytes, limit ${this.maxLength + TYPE_LEN}`,
        this.packetStart,
      );
    }
    this.packetLen = 1 + n + TAG_LEN;
    // Split packets are assembled here: grown to the largest seen, bounded by the limit above.
    if (this.buf.length < this.packetLen) this.buf = new Uint8Array(this.packetLen);
    this.state = 'packet';
    this.fill = 0;
  }

  private packetReceived(sealed: Uint8Array, frames: Frame[]): void {
    const start = this.packetStart;
    const aad = this.theirGarbage;
    this.theirGarbage = undefined; // only the first packet carries it
    const plain = (this.opener as PacketOpener).open(sealed, aad);
    if (!plain) throw new ProtocolError('BAD_MAC', 'v2 packet failed authentication', start);
    this.startLength(start + LENGTH_FIELD_LEN + sealed.length);
    if (((plain[0] as number) & 0x80) !== 0) {
      this.decoys++;
      return;
    }
    if (!this.gotVersion) {
      this.gotVersion = true; // its contents are reserved for future extensions: ignored
      return;
    }
    const { command, payload } = decodeContents(plain.subarray(1), start);
    frames.push({ command, payload, offset: start });
  }
}

const VERSION_COMMAND = Uint8Array.of(0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0, 0, 0, 0, 0);

/** Bytes 4..16 of a v1 `version` header: what a v1 peer's first 16 bytes hold after the magic. */
export function isV1VersionHeader(b: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (b[4 + i] !== VERSION_COMMAND[i]) return false;
  return true;
}

function checkMax(max: number): number {
  if (!Number.isInteger(max) || max < 0 || max > MAX_MESSAGE_LENGTH) {
    throw new RangeError(`maxLength must be an integer from 0 to ${MAX_MESSAGE_LENGTH}, got ${max}`);
  }
  return max;
}
