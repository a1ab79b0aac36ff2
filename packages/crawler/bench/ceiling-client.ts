/**
 * The rig's ceiling for bench:sessions: a client that does the least work any crawler could
 * do against the simnet and still get the answer. It sends pre-encoded bytes (version +
 * sendaddrv2, then verack + getaddr once their verack is seen: the same two writes and the
 * same round trips as a real session), walks frame headers without checking a checksum or
 * decoding a payload, and closes on the header of the first addrv2 larger than a
 * self-announcement (before its payload has arrived) without ever answering ping: an upper
 * bound, a little above what any client that reads the whole answer could reach.
 *
 * It is not a crawler; it measures what Node, the kernel and the simnet cost per session on
 * this machine, so the real crawler's figure can be read against it. Run by the bench as its
 * own process (see drive.ts).
 */
import net from 'node:net';
import { CHAINS, coreVersion, encodeMessageFrame } from '@bitcrawl/protocol';
import { runClient } from './drive.ts';

interface CeilingTarget {
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

function ceilingVisitor(magic: Uint8Array, timeoutMs: number) {
  const opening = Buffer.concat([
    encodeMessageFrame(
      magic,
      coreVersion({
        services: 0n,
        nonce: 42n,
        userAgent: '/bitcrawl-ceiling:0/',
        startHeight: 0,
        relay: false,
      }),
    ),
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

await runClient((chain) => {
  const visit = ceilingVisitor(CHAINS[chain].magic, 30_000);
  return async (t) => ({ ok: await visit(t), addrs: 0 });
});
