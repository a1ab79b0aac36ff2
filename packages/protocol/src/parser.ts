import { ProtocolError } from './errors.ts';
import { COMMAND_LENGTH, HEADER_LENGTH, isCommandByte, MAX_MESSAGE_LENGTH } from './framer.ts';
import { checksumU32 } from './hash.ts';

export interface Frame {
  command: string;
  /**
   * The payload. When a whole payload arrives inside one chunk this is a view into that
   * chunk (no copy); decoders that keep bytes must copy them.
   */
  payload: Uint8Array;
  /** Byte offset of the frame's first byte in the stream fed to this parser. */
  offset: number;
}

interface Header {
  command: string;
  length: number;
  /** The header's checksum bytes as a little-endian u32. */
  sum: number;
}

/**
 * The commands a crawl sees on almost every frame, as strings made once: a header names one of
 * these far more often than not, and matching its bytes is cheaper than building a new string.
 */
const KNOWN_COMMANDS = [
  'version',
  'verack',
  'sendaddrv2',
  'wtxidrelay',
  'sendcmpct',
  'ping',
  'pong',
  'feefilter',
  'addr',
  'addrv2',
  'getaddr',
  'sendheaders',
  'inv',
  'getheaders',
  'headers',
];

/** Little-endian u32 at `at` (a plain read, without a DataView per header). */
function u32le(b: Uint8Array, at: number): number {
  return (
    ((b[at] as number) |
      ((b[at + 1] as number) << 8) |
      ((b[at + 2] as number) << 16) |
      ((b[at + 3] as number) << 24)) >>>
    0
  );
}

/** The command in h[4..end): a known one's shared string, else a new one. */
function commandName(h: Uint8Array, end: number): string {
  const n = end - 4;
  for (const c of KNOWN_COMMANDS) {
    if (c.length !== n) continue;
    let i = 0;
    while (i < n && c.charCodeAt(i) === h[4 + i]) i++;
    if (i === n) return c;
  }
  return String.fromCharCode(...h.subarray(4, end));
}

/** Smallest payload buffer we allocate; growth doubles from here up to the declared length. */
const MIN_PAYLOAD_BUFFER = 4096;

/**
 * Streaming v1 frame parser. Feed it chunks of any size; it returns every complete frame.
 * The header is validated (magic, command, length limit) before any payload is buffered,
 * so a peer cannot make it hold more than 24 + maxLength bytes. Buffering copies each byte
 * at most a constant number of times (amortised), whatever the chunk sizes, and keeps no
 * reference to the chunks it was given except for single-chunk payload views.
 * After an error the parser is unusable: the stream has lost framing and the connection
 * must be dropped.
 */
export class FrameParser {
  private readonly head = new Uint8Array(HEADER_LENGTH);
  private headFill = 0;
  private header: Header | undefined;
  /** Payload bytes of a frame split across chunks; grows by doubling, capped at its length. */
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private start = 0;
  private failed: ProtocolError | undefined;
  private maxLength: number;

  constructor(
    private readonly magic: Uint8Array,
    opts: { maxLength?: number } = {},
  ) {
    const max = opts.maxLength ?? MAX_MESSAGE_LENGTH;
    // NaN or a fraction would silently disable or skew the limit.
    if (!Number.isInteger(max) || max < 0 || max > MAX_MESSAGE_LENGTH) {
      throw new RangeError(`maxLength must be an integer from 0 to ${MAX_MESSAGE_LENGTH}, got ${max}`);
    }
    this.maxLength = max;
  }

  /**
   * Changes the length limit for frames whose header has not been read yet: a crawl session
   * allows small frames until its handshake is done and raises the limit for the answer.
   */
  setMaxLength(max: number): void {
    if (!Number.isInteger(max) || max < 0 || max > MAX_MESSAGE_LENGTH) {
      throw new RangeError(`maxLength must be an integer from 0 to ${MAX_MESSAGE_LENGTH}, got ${max}`);
    }
    this.maxLength = max;
  }

  /** Stream offset where the frame now being assembled starts. */
  get frameStart(): number {
    return this.start;
  }

  /** Bytes currently held (header and payload bytes of the unfinished frame). */
  get buffered(): number {
    return this.headFill + this.bodyFill;
  }

  /** Bytes of the unfinished frame received so far, the already-parsed header included. */
  get pendingBytes(): number {
    return this.headFill + (this.header ? HEADER_LENGTH : 0) + this.bodyFill;
  }

  /**
   * Declared payload length of the frame being assembled once its header is read, else -1: what
   * finishing it will take, for a caller that accounts memory across parsers (see frameStart).
   */
  get pendingLength(): number {
    return this.header ? this.header.length : -1;
  }

  /** Payload bytes allocated for the unfinished frame (at least `buffered` minus the header part). */
  get allocated(): number {
    return this.body?.length ?? 0;
  }

  /** True when input has started a frame that has not completed (so ending here truncates it). */
  get inFrame(): boolean {
    return this.pendingBytes > 0;
  }

  /**
   * Adds a chunk and returns every frame it completes. Throws the first ProtocolError;
   * frames completed earlier in the same chunk are then lost, so stream readers that
   * must keep them use `feed`.
   */
  push(chunk: Uint8Array): Frame[] {
    const { frames, error } = this.feed(chunk);
    if (error) throw error;
    return frames;
  }

  /** Like push, but returns the frames completed before an error together with the error. */
  feed(chunk: Uint8Array): { frames: Frame[]; error?: ProtocolError } {
    if (this.failed) return { frames: [], error: this.failed };
    const frames: Frame[] = [];
    let at = 0;
    try {
      for (;;) {
        if (!this.header) {
          at = this.fillHeader(chunk, at);
          if (this.headFill < HEADER_LENGTH) break;
          this.header = this.readHeader(this.head);
          this.headFill = 0;
        }
        const { length } = this.header;
        let payload: Uint8Array;
        if (this.bodyFill === 0 && chunk.length - at >= length) {
          payload = chunk.subarray(at, at + length);
          at += length;
        } else {
          const n = Math.min(length - this.bodyFill, chunk.length - at);
          if (n > 0) this.append(chunk.subarray(at, at + n), length);
          at += n;
          if (this.bodyFill < length) break;
          payload = this.body as Uint8Array; // exactly `length` bytes: growth is capped there
          this.body = undefined;
          this.bodyFill = 0;
        }
        frames.push(this.finish(this.header, payload));
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.failed = err;
      this.header = undefined;
      this.headFill = 0;
      this.body = undefined;
      this.bodyFill = 0;
      return { frames, error: err };
    }
    return { frames };
  }

  /** Copies header bytes from chunk[at..], checking magic byte by byte so garbage fails fast. */
  private fillHeader(chunk: Uint8Array, at: number): number {
    const n = Math.min(HEADER_LENGTH - this.headFill, chunk.length - at);
    for (let i = 0; i < n; i++) {
      const pos = this.headFill + i;
      const b = chunk[at + i] as number;
      if (pos < 4 && b !== this.magic[pos]) {
        throw new ProtocolError('BAD_MAGIC', `bad magic (expected ${hex(this.magic)})`, this.start);
      }
      this.head[pos] = b;
    }
    this.headFill += n;
    return at + n;
  }

  private append(part: Uint8Array, length: number): void {
    const need = this.bodyFill + part.length;
    if (!this.body || need > this.body.length) {
      const cap = Math.min(length, Math.max(need, (this.body?.length ?? 0) * 2, MIN_PAYLOAD_BUFFER));
      const next = new Uint8Array(cap);
      if (this.body) next.set(this.body.subarray(0, this.bodyFill));
      this.body = next;
    }
    this.body.set(part, this.bodyFill);
    this.bodyFill = need;
  }

  private finish(header: Header, payload: Uint8Array): Frame {
    const offset = this.start;
    if (checksumU32(payload) !== header.sum) {
      throw new ProtocolError('BAD_CHECKSUM', `checksum mismatch for "${header.command}"`, offset);
    }
    this.header = undefined;
    this.start += HEADER_LENGTH + payload.length;
    return { command: header.command, payload, offset };
  }

  private readHeader(h: Uint8Array): Header {
    const at = this.start;
    let end = 4 + COMMAND_LENGTH;
    for (let i = 4; i < 4 + COMMAND_LENGTH; i++) {
      if (h[i] === 0) {
        end = i;
        break;
      }
    }
    for (let i = 4; i < 4 + COMMAND_LENGTH; i++) {
      const b = h[i] as number;
      if (i < end ? !isCommandByte(b) : b !== 0) {
        throw new ProtocolError(
          'BAD_COMMAND',
          'command must be printable ASCII, NUL-padded with nothing after the first NUL',
          at,
        );
      }
    }
    // An empty command (twelve NULs) is valid to Core: an unknown message, ignored.
    const command = commandName(h, end);
    const length = u32le(h, 16);
    if (length > this.maxLength) {
      throw new ProtocolError(
        'OVERSIZED',
        `"${command}" declares ${length} bytes, limit ${this.maxLength}`,
        at,
      );
    }
    return { command, length, sum: u32le(h, 20) };
  }
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
