import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { CLI_BIN, cliBudget } from '@bitcrawl/testkit';
import { describe, expect, it } from 'vitest';
import vectors from '../../../../packages/protocol/fixtures/seed-notebook.json' with { type: 'json' };

const bin = CLI_BIN;
const run = (args: string[], input: string | Buffer) =>
  spawnSync(process.execPath, [bin, ...args], { input });

// Each case spawns the CLI up to six times (through tsx: about a second each, more on a busy machine).
describe('bitcrawl decode', { timeout: cliBudget(6) }, () => {
  it('prints one JSON object per message from hex input, 64-bit values as strings', () => {
    const r = run(['decode', '--hex'], `${vectors.version.hex}\n${vectors.verack.hex}\n`);
    expect(r.status).toBe(0);
    const lines = r.stdout
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.command)).toEqual(['version', 'verack']);
    expect(lines[0]).toMatchObject({
      offset: 0,
      version: 70015,
      services: '1039',
      userAgent: '/some-cool-software/',
    });
    expect(lines[0].nonce).toBe(vectors.version.expect.nonce);
    expect(lines[1]).toEqual({ offset: 130, command: 'verack' });
  });

  it('reads raw bytes', () => {
    const raw = Buffer.from(vectors.version.hex + vectors.verack.hex, 'hex');
    const r = run(['decode'], raw);
    expect(r.status).toBe(0);
    expect(r.stdout.toString().trim().split('\n')).toHaveLength(2);
  });

  it('prints what decoded before a bad frame, then a one-line error with the offset, exit 1', () => {
    const bad = vectors.verack.hex.slice(0, -2) + 'ff';
    const r = run(['decode', '--hex'], vectors.version.hex + vectors.verack.hex + bad);
    expect(r.status).toBe(1);
    expect(
      r.stdout
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).command),
    ).toEqual(['version', 'verack']);
    expect(r.stderr.toString().trim()).toBe(
      'bitcrawl decode: BAD_CHECKSUM at byte 154: checksum mismatch for "verack"',
    );
  });

  it('wrong network magic and a truncated tail are errors; an unknown network is a usage error', () => {
    const magic = run(['decode', '--hex', '--network', 'testnet'], vectors.version.hex);
    expect(magic.status).toBe(1);
    expect(magic.stderr.toString()).toMatch(/BAD_MAGIC at byte 0/);
    const cut = run(['decode', '--hex'], vectors.version.hex.slice(0, 100));
    expect(cut.status).toBe(1);
    expect(cut.stderr.toString()).toMatch(/TRUNCATED at byte 0/);
    expect(run(['decode', '--network', 'dogecoin'], '').status).toBe(2);
    expect(run(['decode', '--hex'], 'zz').stderr.toString()).toMatch(/not hex/);
  });

  it('--hex: frames before a bad character are printed, then its byte offset, exit 1', () => {
    const good = `${vectors.version.hex}\n${vectors.verack.hex}`;
    for (const [tail, at] of [
      ['zz', 154],
      ['f9 g', 155],
      ['f9bx', 155],
      ['f9 be\tq', 156],
    ] as const) {
      const r = run(['decode', '--hex'], `${good}${tail}\n`);
      expect(r.status).toBe(1);
      expect(
        r.stdout
          .toString()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).command),
      ).toEqual(['version', 'verack']);
      expect(r.stderr.toString().trim()).toBe(`bitcrawl decode: not hex: "${tail.at(-1)}" at byte ${at}`);
    }
    const odd = run(['decode', '--hex'], `${good}f`);
    expect(odd.stderr.toString().trim()).toBe(
      'bitcrawl decode: odd number of hex digits: half a byte at byte 154',
    );
    expect(odd.status).toBe(1);
  });

  it('an undecoded command prints as its wire command with decoded: false and the payload', () => {
    // inv with one entry: count 1, type 1 (tx), 32-byte hash
    const payload = `0101000000${'ab'.repeat(32)}`;
    const frame = Buffer.concat([
      Buffer.from('f9beb4d9696e76000000000000000000', 'hex'),
      Buffer.from('25000000', 'hex'),
      checksum(Buffer.from(payload, 'hex')),
      Buffer.from(payload, 'hex'),
    ]);
    const r = run(['decode'], frame);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toEqual({ offset: 0, command: 'inv', decoded: false, payload });
  });
});

function checksum(b: Buffer): Buffer {
  const once = createHash('sha256').update(b).digest();
  return createHash('sha256').update(once).digest().subarray(0, 4);
}
