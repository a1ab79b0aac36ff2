import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../usage-error.ts';

const optionsSchema = z.object({
  hex: z.boolean().default(false),
  network: z.string().default('mainnet'),
});

/** `bitcrawl decode`: frames and decodes a captured byte stream from stdin, one JSON object per line. */
export function register(program: Command): void {
  program
    .command('decode')
    .description('decode framed P2P messages from stdin (raw bytes, or hex with --hex) into NDJSON')
    .option('--hex', 'stdin is hex text (whitespace ignored)')
    .option(
      '--network <name>',
      'chain whose magic to expect: mainnet|testnet|testnet4|signet|regtest',
      'mainnet',
    )
    .action(async (raw: unknown) => {
      const opts = optionsSchema.parse(raw);
      const { chainByName, MessageStreamDecoder, messageToJson, ProtocolError } = await import(
        '@bitcrawl/protocol'
      );
      let chain: ReturnType<typeof chainByName>;
      try {
        chain = chainByName(opts.network);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const decoder = new MessageStreamDecoder(chain.magic);
      const hex = opts.hex ? new HexChunker() : undefined;
      const out = process.stdout;
      const report = (err: InstanceType<typeof ProtocolError>) => {
        const at = err.offset === undefined ? '' : ` at byte ${err.offset}`;
        process.stderr.write(`bitcrawl decode: ${err.code}${at}: ${err.message}\n`);
        process.exitCode = 1;
      };
      for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
        let bytes: Uint8Array;
        try {
          bytes = hex ? hex.push(chunk.toString('latin1')) : chunk;
        } catch (err) {
          process.stderr.write(`bitcrawl decode: ${(err as Error).message}\n`);
          process.exitCode = 1;
          return;
        }
        const { messages, error } = decoder.push(bytes);
        for (const m of messages)
          out.write(`${JSON.stringify({ offset: m.offset, ...messageToJson(m.message) })}\n`);
        if (error) return report(error);
      }
      if (hex) {
        try {
          hex.end();
        } catch (err) {
          process.stderr.write(`bitcrawl decode: ${(err as Error).message}\n`);
          process.exitCode = 1;
          return;
        }
      }
      const end = decoder.end();
      if (end) report(end);
    });
}

/** Turns hex text arriving in arbitrary chunks into bytes; whitespace is ignored. */
class HexChunker {
  private pending = '';
  private seen = 0;
  push(text: string): Uint8Array {
    const clean = this.pending + text.replace(/\s+/g, '');
    const bad = clean.search(/[^0-9a-fA-F]/);
    if (bad >= 0) throw new Error(`not hex: "${clean[bad]}" near hex digit ${this.seen + bad}`);
    const even = clean.length - (clean.length % 2);
    this.pending = clean.slice(even);
    this.seen += even;
    return Uint8Array.from(Buffer.from(clean.slice(0, even), 'hex'));
  }
  end(): void {
    if (this.pending) throw new Error('odd number of hex digits');
  }
}
