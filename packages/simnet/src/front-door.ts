import net from 'node:net';
import { formatIPv6 } from '@bitcrawl/protocol';

/**
 * The simnet's own SOCKS5 server (RFC 1928, no auth, CONNECT only) standing in for Tor, I2P
 * and a CJDNS route: it connects .onion / .b32.i2p names and CJDNS IPv6 addresses to the
 * loopback listeners behind them. Unknown destinations get reply 0x04 (host unreachable),
 * as Tor answers for an onion service that is not up.
 */
export interface FrontDoor {
  host: string;
  port: number;
  url: string;
  close(): Promise<void>;
}

const REPLY = {
  ok: 0x00,
  failure: 0x01,
  hostUnreachable: 0x04,
  commandNotSupported: 0x07,
  addressNotSupported: 0x08,
};

export async function startFrontDoor(
  routes: Map<string, { host: string; port: number }>,
): Promise<FrontDoor> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    handshake(client, routes, sockets);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    url: `socks5://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function handshake(
  client: net.Socket,
  routes: Map<string, { host: string; port: number }>,
  sockets: Set<net.Socket>,
): void {
  let buf = Buffer.alloc(0);
  let stage: 'greeting' | 'request' = 'greeting';
  const reply = (code: number) => client.end(Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]));
  const onData = (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    if (buf.length > 600) return client.destroy();
    if (stage === 'greeting') {
      if (buf.length < 2) return;
      if (buf[0] !== 5) return client.destroy();
      const n = buf[1] as number;
      if (buf.length < 2 + n) return;
      buf = buf.subarray(2 + n);
      client.write(Buffer.from([5, 0]));
      stage = 'request';
    }
    if (buf.length < 5) return;
    if (buf[1] !== 1) return reply(REPLY.commandNotSupported);
    const atyp = buf[3];
    let dest: string;
    let end: number;
    if (atyp === 3) {
      const len = buf[4] as number;
      end = 5 + len + 2;
      if (buf.length < end) return;
      dest = buf
        .subarray(5, 5 + len)
        .toString('latin1')
        .toLowerCase();
    } else if (atyp === 4) {
      end = 4 + 16 + 2;
      if (buf.length < end) return;
      dest = formatIPv6(buf.subarray(4, 20));
    } else if (atyp === 1) {
      end = 4 + 4 + 2;
      if (buf.length < end) return;
      dest = [...buf.subarray(4, 8)].join('.');
    } else {
      return reply(REPLY.addressNotSupported);
    }
    client.off('data', onData);
    const target = routes.get(dest);
    if (!target) return reply(REPLY.hostUnreachable);
    const rest = buf.subarray(end);
    let replied = false;
    const upstream = net.connect(target, () => {
      replied = true;
      client.write(Buffer.from([5, REPLY.ok, 0, 1, 127, 0, 0, 1, 0, 0]));
      if (rest.length > 0) upstream.write(rest);
      client.pipe(upstream);
      upstream.pipe(client);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    // Once the success reply is out the stream belongs to the peers: just drop it.
    upstream.on('error', () => (replied ? client.destroy() : reply(REPLY.failure)));
    client.on('close', () => upstream.destroy());
  };
  client.on('data', onData);
}
