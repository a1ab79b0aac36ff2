import { ProtocolError } from './errors.ts';
import { COMMAND_LENGTH, HEADER_LENGTH, MAX_MESSAGE_LENGTH } from './framer.ts';
import { checksum } from './hash.ts';

export interface Frame {
  command: string;
  payload: Uint8Array;
  /** Byte offset of the frame's first byte in the stream fed to this parser. */
  offset: number;
}

/**
 * Streaming v1 frame parser. Feed it chunks of any size; it returns every complete frame.
 * The header is validated (magic, command, length limit) before any payload is buffered,
 * so a peer cannot make it hold more than 24 + maxLength bytes. After an error the
 * parser is unusable: the stream has lost framing and the connection must be dropped.
 */
export class FrameParser {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private consumed = 0;
  private header: { command: string; length: number; sum: Uint8Array } | undefined;
  private failed: ProtocolError | undefined;
  private readonly maxLength: number;

  constructor(
    private readonly magic: Uint8Array,
    opts: { maxLength?: number } = {},
  ) {
    this.maxLength = Math.min(opts.maxLength ?? MAX_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH);
  }

  /** Stream offset where the frame now being assembled starts. */
  get frameStart(): number {
    return this.consumed - (this.header ? HEADER_LENGTH : 0);
  }

  /** Bytes currently held. */
  get buffered(): number {
    return this.size;
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
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    try {
      for (;;) {
        if (!this.header) {
          if (this.size < HEADER_LENGTH) {
            this.checkPartialMagic();
            break;
          }
          this.header = this.readHeader(this.take(HEADER_LENGTH));
        }
        if (this.size < this.header.length) break;
        const payload = this.take(this.header.length);
        const offset = this.consumed - HEADER_LENGTH - payload.length;
        const sum = checksum(payload);
        const want = this.header.sum;
        if (sum[0] !== want[0] || sum[1] !== want[1] || sum[2] !== want[2] || sum[3] !== want[3]) {
          throw new ProtocolError('BAD_CHECKSUM', `checksum mismatch for "${this.header.command}"`, offset);
        }
        frames.push({ command: this.header.command, payload, offset });
        this.header = undefined;
      }
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      this.failed = err;
      this.chunks = [];
      this.size = 0;
      return { frames, error: err };
    }
    return { frames };
  }

  /** Fails fast on wrong magic even before a full header has arrived. */
  private checkPartialMagic(): void {
    let i = 0;
    for (const c of this.chunks) {
      for (let j = 0; j < c.length && i < 4; j++, i++) {
        if (c[j] !== this.magic[i]) {
          throw new ProtocolError('BAD_MAGIC', this.magicMessage(), this.consumed);
        }
      }
      if (i >= 4) return;
    }
  }

  private magicMessage(): string {
    return `bad magic (expected ${Buffer.from(this.magic).toString('hex')})`;
  }

  private readHeader(h: Uint8Array): { command: string; length: number; sum: Uint8Array } {
    const at = this.consumed - HEADER_LENGTH;
    for (let i = 0; i < 4; i++) {
      if (h[i] !== this.magic[i]) {
        throw new ProtocolError(
          'BAD_MAGIC',
          `${this.magicMessage()}: got ${Buffer.from(h.subarray(0, 4)).toString('hex')}`,
          at,
        );
      }
    }
    let end = 4 + COMMAND_LENGTH;
    for (let i = 4; i < 4 + COMMAND_LENGTH; i++) {
      if (h[i] === 0) {
        end = i;
        break;
      }
    }
    for (let i = 4; i < 4 + COMMAND_LENGTH; i++) {
      const b = h[i] as number;
      if (i < end ? b < 0x20 || b > 0x7e : b !== 0) {
        throw new ProtocolError(
          'BAD_COMMAND',
          'command must be printable ASCII, NUL-padded with nothing after the first NUL',
          at,
        );
      }
    }
    if (end === 4) throw new ProtocolError('BAD_COMMAND', 'empty command', at);
    const command = String.fromCharCode(...h.subarray(4, end));
    const length = new DataView(h.buffer, h.byteOffset, h.byteLength).getUint32(16, true);
    if (length > this.maxLength) {
      throw new ProtocolError(
        'OVERSIZED',
        `"${command}" declares ${length} bytes, limit ${this.maxLength}`,
        at,
      );
    }
    return { command, length, sum: h.slice(20, 24) };
  }

  /** Removes and returns the first n buffered bytes (n <= size), copying only across chunks. */
  private take(n: number): Uint8Array {
    this.size -= n;
    this.consumed += n;
    const first = this.chunks[0];
    if (n === 0) return new Uint8Array(0);
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return out;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0] as Uint8Array;
      const want = n - filled;
      if (c.length <= want) {
        out.set(c, filled);
        filled += c.length;
        this.chunks.shift();
      } else {
        out.set(c.subarray(0, want), filled);
        this.chunks[0] = c.subarray(want);
        filled += want;
      }
    }
    return out;
  }
}
