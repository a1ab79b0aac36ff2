import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DIALS_PER_TURN,
  DialError,
  DialInfrastructureError,
  dial,
  dialErrorFor,
  dialSlot,
  MIN_DIALS_PER_TURN,
  TARGET_TURN_MS,
} from './dial.ts';

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

describe('dial pacing', () => {
  it('starts at most DIALS_PER_TURN dials per turn of the event loop, in order', async () => {
    const turnOf: number[] = [];
    let turn = 0;
    const ticking = setInterval(() => {}, 1); // keeps the loop turning while slots are pending
    const counter = () => {
      turn++;
      if (turn < 20) setImmediate(counter);
    };
    setImmediate(counter);
    const slots = Array.from({ length: 3 * DIALS_PER_TURN + 5 }, (_, i) =>
      dialSlot().then(() => {
        turnOf[i] = turn;
      }),
    );
    await Promise.all(slots);
    clearInterval(ticking);
    const perTurn = new Map<number, number>();
    for (const t of turnOf) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(DIALS_PER_TURN);
    expect(perTurn.size).toBeGreaterThanOrEqual(4);
    expect(turnOf[0]).toBeGreaterThan(0); // even the first waits for setImmediate's phase
    expect([...turnOf]).toEqual([...turnOf].sort((a, b) => a - b)); // first come, first served
  });

  it('admits fewer dials per turn while the loop turns slowly, and the full budget again once idle', async () => {
    await new Promise((r) => setTimeout(r, 20)); // the pacer idle: earlier dials are done
    // Every turn of the loop is made longer than TARGET_TURN_MS (a loaded machine only makes it longer).
    let turn = 0;
    let blocking = true;
    const slowTurn = () => {
      turn++;
      const until = performance.now() + TARGET_TURN_MS + 10;
      while (performance.now() < until) {}
      if (blocking) setImmediate(slowTurn);
    };
    setImmediate(slowTurn);
    const perTurn = new Map<number, number>();
    const started = () => perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
    await Promise.all(Array.from({ length: 200 }, () => dialSlot().then(started)));
    blocking = false;
    const counts = [...perTurn.keys()].sort((a, b) => a - b).map((t) => perTurn.get(t) as number);
    // 64 in the first turn (nothing measured yet), then halved by each slow turn.
    expect(counts[0]).toBe(DIALS_PER_TURN);
    expect(counts[1]).toBe(DIALS_PER_TURN / 2);
    for (let i = 2; i < counts.length; i++)
      expect(counts[i] as number).toBeLessThanOrEqual(counts[i - 1] as number);
    expect(counts.at(-1)).toBe(MIN_DIALS_PER_TURN);
    // Idle once no dial waits: the next burst gets the whole budget in its first turn.
    await new Promise((r) => setTimeout(r, 20));
    let turns = 0;
    const tick = () => {
      turns++;
      if (turns < 5) setImmediate(tick);
    };
    setImmediate(tick);
    const burstTurns = await Promise.all(
      Array.from({ length: DIALS_PER_TURN + 1 }, () => dialSlot().then(() => turns)),
    );
    expect(new Set(burstTurns.slice(0, DIALS_PER_TURN)).size).toBe(1);
    expect(burstTurns.at(-1)).toBeGreaterThan(burstTurns[0] as number);
    await new Promise((r) => setTimeout(r, 20));
  });
});
