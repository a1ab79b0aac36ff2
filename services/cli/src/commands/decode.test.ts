import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import vectors from '../../../../packages/protocol/fixtures/seed-notebook.json' with { type: 'json' };

const bin = path.resolve(import.meta.dirname, '../../bin/bitcrawl.mjs');
const run = (args: string[], input: string | Buffer) =>
  spawnSync(process.execPath, [bin, ...args], { input });

describe('bitcrawl decode', () => {
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
});
