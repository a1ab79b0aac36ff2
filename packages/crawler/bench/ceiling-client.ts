/**
 * The rig's ceiling for bench:sessions: a client that does the least work any crawler could
 * do against the simnet and still get the answer. It sends pre-encoded bytes (version +
 * sendaddrv2, then verack + getaddr once their verack is seen: the same two writes and the
 * same round trips as a real session), walks frame headers without checking a checksum or
 * decoding a payload, and closes on the first addrv2 larger than a self-announcement.
 *
 * It is not a crawler; it measures what Node, the kernel and the simnet cost per session on
 * this machine, so the real crawler's figure can be read against it.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { encodeMessageFrame } from '@bitcrawl/protocol';

export interface CeilingTarget {
  host: string;
  port: number;
}

const HEADER = 24;
/** A self-announcement addrv2 (one entry) is ~16 bytes; a getaddr answer is hundreds. */
const ANSWER_MIN_PAYLOAD = 100;

function commandIs(header: Buffer, name: string): boolean {
  for (let i = 0; i < 12; i++) {
    const want = i < name.length ? name.charCodeAt(i) : 0;
    if (header[4 + i] !== want) return false;
  }
  return true;
}

export function ceilingVisitor(magic: Uint8Array, timeoutMs: number) {
  const opening = Buffer.concat([
    encodeMessageFrame(magic, {
      command: 'version',
      version: 70016,
      services: 0n,
      timestamp: BigInt(Math.floor(Date.now() / 1000)),
      addrRecv: { services: 0n, network: 'ipv6', host: '::', port: 0 },
      addrFrom: { services: 0n, network: 'ipv6', host: '::', port: 0 },
      nonce: 42n,
      userAgent: '/bitcrawl-ceiling:0/',
      startHeight: 0,
      relay: false,
    }),
    encodeMessageFrame(magic, { command: 'sendaddrv2' }),
  ]);
  const second = Buffer.concat([
    encodeMessageFrame(magic, { command: 'verack' }),
    encodeMessageFrame(magic, { command: 'getaddr' }),
  ]);

  /** Resolves true when the answer arrived, false on any failure or timeout. */
  return (t: CeilingTarget): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = net.connect({ host: t.host, port: t.port, noDelay: true });
      const header = Buffer.alloc(HEADER);
      let have = 0; // header bytes gathered
      let skip = 0; // payload bytes still to pass over
      let done = false;
      const end = (ok: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.destroy();
        resolve(ok);
      };
      const timer = setTimeout(() => end(false), timeoutMs);
      socket.on('connect', () => socket.write(opening));
      socket.on('data', (chunk: Buffer) => {
        let i = 0;
        while (i < chunk.length && !done) {
          if (skip > 0) {
            const n = Math.min(skip, chunk.length - i);
            skip -= n;
            i += n;
            continue;
          }
          const n = Math.min(HEADER - have, chunk.length - i);
          chunk.copy(header, have, i, i + n);
          have += n;
          i += n;
          if (have < HEADER) break;
          have = 0;
          skip = header.readUInt32LE(16);
          if (commandIs(header, 'verack')) socket.write(second);
          else if (skip > ANSWER_MIN_PAYLOAD && commandIs(header, 'addrv2')) end(true);
        }
      });
      socket.on('error', () => end(false));
      socket.on('close', () => end(false));
    });
}

/**
 * Run as a script by the bench (its own process, so the crawler's RSS figure is not touched):
 *   ceiling-client.ts MAGIC_HEX CONCURRENCY TARGETS_FILE ("host port" lines)
 * Prints one JSON line: visits, ok, seconds, peak, cpuMsPerSession.
 */
async function main(): Promise<void> {
  const [magicHex, concurrencyArg, file] = process.argv.slice(2);
  if (!magicHex || !concurrencyArg || !file)
    throw new Error('usage: ceiling-client.ts MAGIC CONCURRENCY FILE');
  const targets = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [host, port] = l.split(' ');
      return { host: host as string, port: Number(port) };
    });
  const visit = ceilingVisitor(Buffer.from(magicHex, 'hex'), 30_000);
  let next = 0;
  let active = 0;
  let peak = 0;
  let ok = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: Number(concurrencyArg) }, async () => {
      while (next < targets.length) {
        const t = targets[next++] as CeilingTarget;
        peak = Math.max(peak, ++active);
        if (await visit(t)) ok++;
        active--;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      visits: targets.length,
      ok,
      seconds,
      peak,
      cpuMsPerSession: (cpu.user + cpu.system) / 1000 / targets.length,
    }),
  );
}

if (process.argv[1] === import.meta.filename) await main();
