import net from 'node:net';
import { CHAINS, coreVersion, encodeFrame, encodeMessageFrame, type Message } from '@bitcrawl/protocol';

/**
 * Hostile peers on 127.0.0.1 (ephemeral ports, so no clash with simnets): each a TCP server
 * running one behaviour. The handshake helpers write fixed bytes and look for our commands in
 * what arrives, instead of parsing it: a hostile peer need not be correct, and two thousand of
 * them must cost the test little.
 */

export const magic = CHAINS.regtest.magic;

export function versionMessage(version = 70016, services = 0xc09n): Message {
  return coreVersion({ version, services, nonce: 3n });
}

export const frame = (m: Message) => encodeMessageFrame(magic, m);

/** A header declaring `length` payload bytes, with no payload. */
export function bareHeader(command: string, length: number): Uint8Array {
  const h = encodeFrame(magic, command, new Uint8Array(0));
  new DataView(h.buffer).setUint32(16, length >>> 0, true);
  return h;
}

/** Version, wtxidrelay, sendaddrv2, verack: Core 31's answer to our version, in one write. */
export const CORE_BURST = Buffer.concat([
  frame(versionMessage()),
  frame({ command: 'wtxidrelay' }),
  frame({ command: 'sendaddrv2' }),
  frame({ command: 'verack' }),
]);

export interface Peer {
  port: number;
  close(): Promise<void>;
}

/** A server whose every connection runs `behaviour`. */
export async function hostilePeer(behaviour: (socket: net.Socket) => void): Promise<Peer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    behaviour(socket);
  });
  server.maxConnections = 10_000;
  await new Promise<void>((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

/**
 * Answers our version with CORE_BURST, then calls `afterGetaddr` once our getaddr has arrived
 * (the handshake is then done on our side, so the larger frame limit applies).
 */
export function afterHandshake(
  afterGetaddr: (socket: net.Socket) => void,
  burst: Uint8Array = CORE_BURST,
): (socket: net.Socket) => void {
  return (socket) => {
    let seen = '';
    let answered = false;
    let done = false;
    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      seen += chunk.toString('latin1');
      if (!answered && seen.includes('version')) {
        answered = true;
        socket.write(burst);
      }
      if (seen.includes('getaddr')) {
        done = true;
        afterGetaddr(socket);
      }
    });
  };
}
