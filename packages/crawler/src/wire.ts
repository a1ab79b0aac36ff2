import {
  CHAINS,
  encodeMessage,
  encodeMessageFrame,
  type Frame,
  FrameParser,
  type Message,
  ProtocolError,
  type V2Transport,
} from '@bitcrawl/protocol';

/**
 * How a session's messages travel: v1 frames or BIP324 v2 packets. The handshake machine
 * (handshake.ts) is the same for both; a Wire only carries its messages.
 */
export interface Wire {
  readonly kind: 'v1' | 'v2';
  /** What to write on connect (v2: our key and garbage); undefined when nothing. */
  hello(): Uint8Array | undefined;
  /** Messages may be sent (v1: from the start; v2: once the peer's key is in). */
  readonly ready: boolean;
  /** The peer's bytes: frames decoded, and what the transport itself must send back. */
  feed(chunk: Uint8Array): { frames: Frame[]; error?: ProtocolError; send?: Uint8Array };
  /** One chunk holding every message of `msgs`, in order. */
  encode(msgs: readonly Message[]): Uint8Array;
  setMaxLength(max: number): void;
  /** Bytes received so far: zero when the peer closed before answering at all. */
  readonly received: number;
  /** Packets the transport swallowed (v2 decoys): they count against the message limit. */
  readonly ignored: number;
  /** The first 8 bytes of the v2 session id, hex; '' before keys exist or on v1. */
  sessionIdHex(): string;
  /** v2 only: the peer's first bytes are a v1 frame header (a v1 node answering in v1). */
  readonly answeredV1: boolean;
  /** For the engine's byte budget (as FrameParser's): an unfinished frame or packet is held. */
  readonly inFrame: boolean;
  /** Stream offset of the unfinished frame or packet. */
  readonly frameStart: number;
  /** Its declared length once known, else -1. */
  readonly pendingLength: number;
  /** Bytes allocated to hold it. */
  readonly allocated: number;
}

/** Every chain's v1 magic as a u32: a v2 key starts with one once in ~10^9 connections. */
const V1_MAGICS = new Set(Object.values(CHAINS).map((c) => Buffer.from(c.magic).readUInt32BE(0)));

/**
 * Frames without a payload (verack, getaddr, sendaddrv2) are the same bytes on every v1
 * session of a chain, so they are encoded once per magic; version and pong are encoded per session.
 */
const constantFrames = new Map<number, Map<string, Uint8Array>>();
function frameOf(magic: Uint8Array, msg: Message): Uint8Array {
  if (msg.command !== 'verack' && msg.command !== 'getaddr' && msg.command !== 'sendaddrv2')
    return encodeMessageFrame(magic, msg);
  // Keyed by the magic's value (one entry per chain in use), not by the array's identity.
  const key =
    ((magic[0] as number) << 24) |
    ((magic[1] as number) << 16) |
    ((magic[2] as number) << 8) |
    (magic[3] as number);
  let byCommand = constantFrames.get(key);
  if (!byCommand) {
    byCommand = new Map();
    constantFrames.set(key, byCommand);
  }
  let frame = byCommand.get(msg.command);
  if (!frame) {
    frame = encodeMessageFrame(magic, msg);
    byCommand.set(msg.command, frame);
  }
  return frame;
}

function join(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts);
}

export class V1Wire implements Wire {
  readonly kind = 'v1';
  readonly ready = true;
  readonly ignored = 0;
  readonly answeredV1 = false;
  private readonly parser: FrameParser;
  private bytes = 0;

  constructor(
    private readonly magic: Uint8Array,
    maxLength: number,
  ) {
    this.parser = new FrameParser(magic, { maxLength });
  }
  hello(): undefined {
    return undefined;
  }
  feed(chunk: Uint8Array) {
    this.bytes += chunk.length;
    return this.parser.feed(chunk);
  }
  encode(msgs: readonly Message[]): Uint8Array {
    return join(msgs.map((m) => frameOf(this.magic, m)));
  }
  setMaxLength(max: number): void {
    this.parser.setMaxLength(max);
  }
  get received(): number {
    return this.bytes;
  }
  get inFrame(): boolean {
    return this.parser.inFrame;
  }
  get frameStart(): number {
    return this.parser.frameStart;
  }
  get pendingLength(): number {
    return this.parser.pendingLength;
  }
  get allocated(): number {
    return this.parser.allocated;
  }
  sessionIdHex(): string {
    return '';
  }
}

export class V2Wire implements Wire {
  readonly kind = 'v2';
  private readonly t: V2Transport;
  private readonly head = new Uint8Array(4);
  private headFill = 0;
  answeredV1 = false;

  constructor(t: V2Transport) {
    this.t = t;
  }
  hello(): Uint8Array {
    return this.t.start();
  }
  get ready(): boolean {
    return this.t.ready;
  }
  feed(chunk: Uint8Array) {
    if (this.headFill < 4) {
      const n = Math.min(4 - this.headFill, chunk.length);
      this.head.set(chunk.subarray(0, n), this.headFill);
      this.headFill += n;
      if (this.headFill === 4 && V1_MAGICS.has(Buffer.from(this.head).readUInt32BE(0))) {
        // A v1 node that answered our key in v1 (a version, or an error of its own): no v2 here.
        this.answeredV1 = true;
        return {
          frames: [],
          error: new ProtocolError('BAD_MAGIC', 'the peer answered v2 with a v1 frame', 0),
        };
      }
    }
    return this.t.feed(chunk);
  }
  encode(msgs: readonly Message[]): Uint8Array {
    return join(
      msgs.map((m) => {
        const { command, payload } = encodeMessage(m);
        return this.t.encode(command, payload);
      }),
    );
  }
  setMaxLength(max: number): void {
    this.t.setMaxLength(max);
  }
  get received(): number {
    return this.t.received;
  }
  get ignored(): number {
    return this.t.decoys;
  }
  get inFrame(): boolean {
    return this.t.inPacket;
  }
  get frameStart(): number {
    return this.t.packetOffset;
  }
  get pendingLength(): number {
    return this.t.pendingLength;
  }
  get allocated(): number {
    return this.t.allocated;
  }
  sessionIdHex(): string {
    const id = this.t.sessionId;
    return id ? Buffer.from(id.subarray(0, 8)).toString('hex') : '';
  }
}
