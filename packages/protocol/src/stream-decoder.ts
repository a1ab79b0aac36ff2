import { ProtocolError } from './errors.ts';
import { decodeMessage, type Message } from './message.ts';
import { FrameParser } from './parser.ts';

export interface DecodedMessage {
  /** Byte offset of the frame in the input stream. */
  offset: number;
  message: Message;
}

/**
 * Frames and decodes a byte stream (e.g. a capture) chunk by chunk. Returns what decoded
 * before the first bad frame together with that frame's error; after an error it stops.
 */
export class MessageStreamDecoder {
  private readonly parser: FrameParser;
  private error: ProtocolError | undefined;

  constructor(magic: Uint8Array) {
    this.parser = new FrameParser(magic);
  }

  push(chunk: Uint8Array): { messages: DecodedMessage[]; error?: ProtocolError } {
    if (this.error) return { messages: [], error: this.error };
    const messages: DecodedMessage[] = [];
    const { frames, error } = this.parser.feed(chunk);
    for (const frame of frames) {
      try {
        messages.push({ offset: frame.offset, message: decodeMessage(frame) });
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        this.error = new ProtocolError(err.code, `"${frame.command}" payload: ${err.message}`, frame.offset);
        return { messages, error: this.error };
      }
    }
    if (error) {
      this.error = error;
      return { messages, error };
    }
    return { messages };
  }

  /**
   * Call at end of input: a started frame is truncated, even one whose header arrived
   * complete and whose payload did not start (nothing is buffered then, but a frame is open).
   */
  end(): ProtocolError | undefined {
    if (this.error) return this.error;
    if (this.parser.inFrame) {
      this.error = new ProtocolError(
        'TRUNCATED',
        `input ends inside a frame (${this.parser.pendingBytes} bytes left over)`,
        this.parser.frameStart,
      );
    }
    return this.error;
  }
}
