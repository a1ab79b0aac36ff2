import { addFlags, fromFlags } from '@bitcrawl/config';
import type { Command } from 'commander';

/** `bitcrawl decode`: frames and decodes a captured byte stream from stdin, one JSON object per line. */
export function register(program: Command): void {
  const cmd = program
    .command('decode')
    .description('decode framed P2P messages from stdin (raw bytes, or hex with --hex) into NDJSON');
  addFlags(cmd, 'decode').action(async (raw: Record<string, unknown>) => {
    // The chain whose magic to expect; an unknown one is a usage error (exit 2).
    const opts = fromFlags('decode', raw);
    const { chainByName, MessageStreamDecoder, messageToJson, ProtocolError } = await import(
      '@bitcrawl/protocol'
    );
    const chain = chainByName(opts.chain);
    const decoder = new MessageStreamDecoder(chain.magic);
    const hex = opts.hex ? new HexChunker() : undefined;
    const out = process.stdout;
    const report = (err: InstanceType<typeof ProtocolError>) => {
      const at = err.offset === undefined ? '' : ` at byte ${err.offset}`;
      process.stderr.write(`bitcrawl decode: ${err.code}${at}: ${err.message}\n`);
      process.exitCode = 1;
    };
    const badInput = (message: string) => {
      process.stderr.write(`bitcrawl decode: ${message}\n`);
      process.exitCode = 1;
    };
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      // In hex mode the valid prefix before a bad character is decoded and printed first.
      const { bytes, error: hexError }: { bytes: Uint8Array; error?: string } = hex
        ? hex.push(chunk.toString('latin1'))
        : { bytes: chunk };
      const { messages, error } = decoder.push(bytes);
      for (const m of messages)
        out.write(`${JSON.stringify({ offset: m.offset, ...messageToJson(m.message) })}\n`);
      if (error) return report(error);
      if (hexError) return badInput(hexError);
    }
    const odd = hex?.end();
    if (odd) return badInput(odd);
    const end = decoder.end();
    if (end) report(end);
  });
}

/**
 * Turns hex text arriving in arbitrary chunks into bytes; whitespace is ignored. On a bad
 * character it still returns the whole bytes before it, and names the byte offset (in the
 * decoded stream, like frame offsets) that the bad character falls in. Input after it is ignored.
 */
class HexChunker {
  private pending = '';
  /** Hex digits turned into bytes so far. */
  private seen = 0;
  push(text: string): { bytes: Uint8Array; error?: string } {
    const clean = this.pending + text.replace(/\s+/g, '');
    const bad = clean.search(/[^0-9a-fA-F]/);
    const valid = bad >= 0 ? clean.slice(0, bad) : clean;
    const even = valid.length - (valid.length % 2);
    this.pending = valid.slice(even);
    const bytes = Uint8Array.from(Buffer.from(valid.slice(0, even), 'hex'));
    this.seen += even;
    if (bad < 0) return { bytes };
    const at = Math.floor((this.seen + this.pending.length) / 2);
    return { bytes, error: `not hex: ${JSON.stringify(clean[bad])} at byte ${at}` };
  }
  /** An error message when a half byte is left over, else undefined. */
  end(): string | undefined {
    return this.pending ? `odd number of hex digits: half a byte at byte ${this.seen / 2}` : undefined;
  }
}
