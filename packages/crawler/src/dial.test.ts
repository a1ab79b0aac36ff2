import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DialError, DialInfrastructureError, dial, dialErrorFor } from './dial.ts';

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen(onSocket: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/**
 * A SOCKS5 server that insists on user/password auth (RFC 1929), records the credentials and
 * answers every CONNECT with "connection refused".
 */
async function authSocks(seen: { user?: string; pass?: string; methods?: number[] }): Promise<number> {
  return listen((s) => {
    let stage = 0;
    let buf = Buffer.alloc(0);
    s.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === 0 && buf.length >= 2 && buf.length >= 2 + buf[1]!) {
        seen.methods = [...buf.subarray(2, 2 + buf[1]!)];
        buf = buf.subarray(2 + buf[1]!);
        stage = 1;
        s.write(Buffer.from([5, seen.methods.includes(2) ? 2 : 0xff]));
      }
      if (stage === 1 && buf.length >= 2) {
        const ulen = buf[1]!;
        if (buf.length < 2 + ulen + 1) return;
        const plen = buf[2 + ulen]!;
        if (buf.length < 3 + ulen + plen) return;
        seen.user = buf.subarray(2, 2 + ulen).toString();
        seen.pass = buf.subarray(3 + ulen, 3 + ulen + plen).toString();
        buf = buf.subarray(3 + ulen + plen);
        stage = 2;
        s.write(Buffer.from([1, 0]));
      }
      if (stage === 2 && buf.length >= 10) {
        stage = 3;
        s.write(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])); // REP 5: connection refused
      }
    });
  });
}

describe('dial through SOCKS', () => {
  it('passes user:password to the proxy (Tor stream isolation) and maps its reply', async () => {
    const seen: { user?: string; pass?: string; methods?: number[] } = {};
    const port = await authSocks(seen);
    const err = await dial(
      { host: '1.2.3.4', port: 8333 },
      { kind: 'socks', type: 5, host: '127.0.0.1', port, userId: 'crawl-1', password: 's3cret' },
      3_000,
    ).catch((e: unknown) => e);
    expect(seen).toEqual({ user: 'crawl-1', pass: 's3cret', methods: expect.arrayContaining([2]) });
    expect(err).toBeInstanceOf(DialError);
    expect(err).toMatchObject({ code: 'refused' });
  });

  it('an abort during the SOCKS negotiation rejects at once and closes the proxy connection', async () => {
    let closed: () => void = () => {};
    const proxyClosed = new Promise<void>((r) => {
      closed = r;
    });
    const port = await listen((s) => {
      s.resume(); // reads the greeting, never answers
      s.on('close', () => closed());
    });
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    const err = await dial(
      { host: '1.2.3.4', port: 8333 },
      { kind: 'socks', type: 5, host: '127.0.0.1', port },
      60_000,
      ac.signal,
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'connect_timeout', message: 'aborted' });
    // Ended by the abort, not the 60 s dial budget (half of it: no loaded machine is that slow).
    expect(Date.now() - started).toBeLessThan(30_000);
    await proxyClosed; // closed (a connection left open would meet the test's time limit)
  });

  it('an already aborted signal does not even reach the proxy', async () => {
    let reached = false;
    const port = await listen(() => {
      reached = true;
    });
    const err = await dial(
      { host: '1.2.3.4', port: 8333 },
      { kind: 'socks', type: 5, host: '127.0.0.1', port },
      1_000,
      AbortSignal.abort(),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'connect_timeout', message: 'aborted' });
    await new Promise((r) => setTimeout(r, 50));
    expect(reached).toBe(false);
  });

  it('a proxy that refuses connections is our failure (PROXY_UNREACHABLE), not an outcome of the peer', async () => {
    const port = await listen(() => {});
    await new Promise((r) => servers.pop()!.close(r));
    const err = await dial(
      { host: '1.2.3.4', port: 8333 },
      { kind: 'socks', type: 5, host: '127.0.0.1', port },
      1_000,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DialInfrastructureError);
    expect(err).toMatchObject({ code: 'PROXY_UNREACHABLE' });
  });
});

describe('dialErrorFor', () => {
  const errno = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
  it('charges the local host, not the peer, for running out of descriptors, buffers or ports', () => {
    for (const code of ['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM', 'EADDRNOTAVAIL']) {
      const e = dialErrorFor(errno(code));
      expect(e, code).toBeInstanceOf(DialInfrastructureError);
      expect(e.code).toBe('LOCAL_RESOURCES');
    }
  });
  it('maps what the network says about the peer to its outcome', () => {
    expect(dialErrorFor(errno('ECONNREFUSED'))).toMatchObject({ code: 'refused' });
    expect(dialErrorFor(errno('ETIMEDOUT'))).toMatchObject({ code: 'connect_timeout' });
    expect(dialErrorFor(errno('EHOSTUNREACH'))).toMatchObject({ code: 'unreachable' });
    expect(dialErrorFor(errno('ECONNRESET'))).toMatchObject({ code: 'closed' });
    expect(dialErrorFor(errno('EWHATEVER'))).toMatchObject({ code: 'unreachable' });
  });
  it('makes an outcome without a stack trace, and leaves the stack traces of other errors as they were', () => {
    const limit = Error.stackTraceLimit;
    const e = new DialError('refused', 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1');
    expect(e.stack).toBe('DialError: ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1');
    expect(e).toBeInstanceOf(Error);
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('a fault').stack).toContain('dial.test.ts');
  });
});
