import net from 'node:net';
import {
  type AddrEntry,
  CHAINS,
  coreVersion,
  decodeMessage,
  encodeFrame,
  encodeMessageFrame,
  FrameParser,
  type Message,
  unpackAddrs,
} from '@bitcrawl/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_TIMEOUTS, type Timeouts } from './config.ts';
import { MAX_TENTATIVE_ENTRIES } from './handshake.ts';
import { clockOffset, MAX_CRAWL_FRAME_LENGTH, MAX_HANDSHAKE_FRAME_LENGTH, runSession } from './session.ts';

/*
 * Sessions against a scripted peer on 127.0.0.1 (an ephemeral port, so no clash with simnets).
 * The peer answers like Core 31 (version, wtxidrelay, sendaddrv2, verack; after our verack
 * sendcmpct, ping, feefilter) and then runs the test's script when getaddr arrives.
 */

const magic = CHAINS.regtest.magic;

const entries = (n: number, from = 0): AddrEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    time: 1_700_000_000,
    services: 9n,
    network: 'ipv4' as const,
    host: `11.0.${(from + i) >> 8}.${(from + i) & 255}`,
    port: 8333,
  }));

interface Script {
  /** Instead of answering the handshake, write this raw data on connect. */
  onConnect?: (write: (b: Uint8Array) => void) => void;
  /** Sent after our verack (e.g. a self-announcement). */
  afterVerack?: Message[];
  onGetaddr?: (send: (m: Message) => void, write: (b: Uint8Array) => void) => void;
  /** Send the version burst (version, wtxidrelay, sendaddrv2, verack) in one write, as the simnet does. */
  oneWriteBurst?: boolean;
  /** Send what answers one chunk (sendcmpct, ping, feefilter and the getaddr answer) in one write. */
  oneWritePerChunk?: boolean;
}

const servers: net.Server[] = [];
const timers: NodeJS.Timeout[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function scriptedPeer(script: Script): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    sockets.push(socket);
    const write = (b: Uint8Array) => {
      if (!socket.destroyed) socket.write(b);
    };
    if (script.onConnect) {
      socket.resume();
      return script.onConnect(write);
    }
    const parser = new FrameParser(magic);
    socket.on('data', (chunk) => {
      const gathered: Uint8Array[] = [];
      const send = (m: Message) =>
        script.oneWritePerChunk
          ? gathered.push(encodeMessageFrame(magic, m))
          : write(encodeMessageFrame(magic, m));
      for (const frame of parser.push(chunk)) {
        const m = decodeMessage(frame);
        if (m.command === 'version') {
          const burst: Uint8Array[] = [];
          const sendOrGather = (x: Message) =>
            script.oneWriteBurst ? burst.push(encodeMessageFrame(magic, x)) : send(x);
          sendOrGather(coreVersion({ addrFrom: { services: 0xc09n, network: 'ipv6', host: '::', port: 0 } }));
          sendOrGather({ command: 'wtxidrelay' });
          sendOrGather({ command: 'sendaddrv2' });
          sendOrGather({ command: 'verack' });
          if (burst.length > 0) write(Buffer.concat(burst));
        } else if (m.command === 'verack') {
          send({ command: 'sendcmpct', announce: false, version: 2n });
          send({ command: 'ping', nonce: 5n });
          send({ command: 'feefilter', feeRate: 1000n });
          for (const a of script.afterVerack ?? []) send(a);
        } else if (m.command === 'getaddr') {
          script.onGetaddr?.(send, write);
        }
      }
      if (gathered.length > 0) write(Buffer.concat(gathered));
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/*
 * Which timer ended a visit is told apart by time without depending on the machine's speed: the
 * timer that must NOT end it is set to LONG, and the visit must end before half of that. A short
 * timer (a few hundred ms) misses that bound only on a machine tens of times slower than any
 * loaded one; the wrong behaviour misses it always (the test fails, or runs into its timeout).
 */
const LONG = 60_000;
const BEFORE_LONG = LONG / 2;

async function visit(
  port: number,
  t: Partial<Timeouts> = {},
  over: {
    maxAddr?: number;
    signal?: AbortSignal;
    now?: () => number;
    connected?: () => true | Promise<boolean>;
  } = {},
) {
  const started = Date.now();
  const obs = await runSession({
    crawlId: 't',
    target: { network: 'ipv4', host: '127.0.0.1', port },
    route: { kind: 'direct' },
    magic,
    userAgent: '/test/',
    // Loopback connects and handshakes take milliseconds; these limits only catch a hang, and
    // the cap stays past BEFORE_LONG so a visit held by the wrong timer cannot pass as ended.
    timeouts: { ...DEFAULT_TIMEOUTS, connectMs: 10_000, handshakeMs: 20_000, sessionMs: 2 * LONG, ...t },
    maxAddr: over.maxAddr ?? 5_000,
    maxMessages: 5_000,
    now: over.now ?? Date.now,
    ...(over.signal ? { signal: over.signal } : {}),
    ...(over.connected ? { connected: over.connected } : {}),
  });
  return { obs, elapsed: Date.now() - started };
}

const addrv2 = (addresses: AddrEntry[]): Message => ({ command: 'addrv2', addresses, skipped: 0 });

describe('session timers against a scripted Core-like peer', () => {
  it('a small (2-10 entry) answer ends on the tentative idle timer, not the getaddr deadline', async () => {
    for (const n of [2, 10]) {
      const port = await scriptedPeer({ onGetaddr: (send) => send(addrv2(entries(n))) });
      const { obs, elapsed } = await visit(port, { getaddrMs: LONG, tentativeIdleMs: 300 });
      expect(obs).toMatchObject({ outcome: 'ok', error: '' });
      expect(unpackAddrs(obs.addrs)).toHaveLength(n);
      expect(elapsed).toBeLessThan(BEFORE_LONG);
    }
  });

  it('a one-entry answer counts; the self-announcement does not', async () => {
    const self = { ...entries(1)[0]!, host: '127.0.0.1' };
    const port = await scriptedPeer({
      afterVerack: [addrv2([self])],
      onGetaddr: (send) => setTimeout(() => send(addrv2(entries(1, 42))), 50),
    });
    const { obs, elapsed } = await visit(port, { getaddrMs: LONG, tentativeIdleMs: 300 });
    expect(obs.outcome).toBe('ok');
    expect(unpackAddrs(obs.addrs).map((a) => a.host)).toEqual(['11.0.0.42']);
    expect(elapsed).toBeLessThan(BEFORE_LONG);
  });

  it('a self-announcement alone is no answer: the visit waits for the getaddr deadline', async () => {
    const self = { ...entries(1)[0]!, host: '127.0.0.1' };
    const port = await scriptedPeer({ afterVerack: [addrv2([self])] });
    const { obs, elapsed } = await visit(port, { getaddrMs: 700, tentativeIdleMs: 100 });
    expect(obs.outcome).toBe('ok');
    expect(unpackAddrs(obs.addrs)).toHaveLength(0);
    expect(elapsed).toBeGreaterThanOrEqual(650);
  });

  it('relays trickling in do not extend the tentative timer, nor does it outlast the getaddr deadline', async () => {
    const port = await scriptedPeer({
      onGetaddr: (send) => {
        send(addrv2(entries(3)));
        let i = 0;
        timers.push(setInterval(() => send(addrv2(entries(2, 100 + 2 * i++))), 100));
      },
    });
    const a = await visit(port, { getaddrMs: LONG, tentativeIdleMs: 600, sessionMs: 2 * LONG });
    expect(a.obs.outcome).toBe('ok');
    expect(a.elapsed).toBeLessThan(BEFORE_LONG);
    const b = await visit(port, { getaddrMs: 400, tentativeIdleMs: LONG, sessionMs: 2 * LONG });
    expect(b.obs.outcome).toBe('ok');
    expect(b.elapsed).toBeLessThan(BEFORE_LONG);
  });

  it('the session cap ends a visit in any phase, and says so', async () => {
    // Handshake: a peer that never speaks, with the cap shorter than the handshake deadline.
    const silent = await scriptedPeer({ onConnect: () => {} });
    const a = await visit(silent, { handshakeMs: LONG, sessionMs: 400 });
    expect(a.obs).toMatchObject({ outcome: 'handshake_timeout', error: 'session time cap reached' });
    expect(a.elapsed).toBeGreaterThanOrEqual(350);
    expect(a.elapsed).toBeLessThan(BEFORE_LONG);
    // Getaddr wait: no answer, the cap shorter than the getaddr deadline; the handshake was done.
    const mute = await scriptedPeer({});
    const b = await visit(mute, { getaddrMs: LONG, sessionMs: 600 });
    expect(b.obs.outcome).toBe('ok');
    expect(b.elapsed).toBeGreaterThanOrEqual(550);
    expect(b.elapsed).toBeLessThan(BEFORE_LONG);
    // Where a phase deadline comes first, it is the reason.
    const c = await visit(silent, { handshakeMs: 300, sessionMs: LONG });
    expect(c.obs).toMatchObject({ outcome: 'handshake_timeout', error: 'handshake deadline' });
  });

  it('a wall clock stepped back mid-visit neither stretches the visit past its cap nor makes a duration negative', async () => {
    // A peer that keeps sending a few new addresses within every idle gap, for as long as we listen.
    const port = await scriptedPeer({
      onGetaddr: (send) => {
        let i = 0;
        timers.push(
          setInterval(
            () => send({ command: 'addr', addresses: entries(20, 1000 + 20 * i++), skipped: 0 }),
            100,
          ),
        );
      },
    });
    const started = Date.now();
    // Stepped back by LONG: a cap measured on the wall clock would hold the visit LONG longer.
    const steppedBack = () => Date.now() - (Date.now() - started > 300 ? LONG : 0);
    const { obs, elapsed } = await visit(
      port,
      { getaddrMs: 1_400, idleAfterAnswerMs: 300, sessionMs: 1_500 },
      { now: steppedBack },
    );
    expect(obs.outcome).toBe('ok');
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(BEFORE_LONG);
    expect(obs.connectMs).toBeGreaterThanOrEqual(0);
    expect(obs.handshakeMs).toBeGreaterThanOrEqual(0);
  });

  it('a full answer (maxAddr) ends the visit at once', async () => {
    // The peer keeps the connection open and keeps sending: only the cap can end this early.
    const port = await scriptedPeer({
      onGetaddr: (send) => {
        send(addrv2(entries(1000)));
        timers.push(setInterval(() => send(addrv2(entries(1000, 1000))), 50));
      },
    });
    const { obs, elapsed } = await visit(
      port,
      { getaddrMs: LONG, idleAfterAnswerMs: LONG, sessionMs: 2 * LONG },
      { maxAddr: 600 },
    );
    expect(obs).toMatchObject({ outcome: 'ok', error: 'answer truncated at 600 addresses' });
    expect(unpackAddrs(obs.addrs)).toHaveLength(600);
    expect(elapsed).toBeLessThan(BEFORE_LONG);
  });
});

describe('session bounds', () => {
  const header = (command: string, length: number) => {
    const h = encodeFrame(magic, command, new Uint8Array(0));
    new DataView(h.buffer, h.byteOffset, h.byteLength).setUint32(16, length, true);
    return h;
  };

  it('a frame longer than the crawl limit (but within Core 4 MB) is oversized before the handshake', async () => {
    expect(MAX_CRAWL_FRAME_LENGTH).toBeLessThan(4_000_000);
    const port = await scriptedPeer({ onConnect: (write) => write(header('version', 2_000_000)) });
    const { obs } = await visit(port);
    expect(obs.outcome).toBe('oversized');
    expect(obs.error).toMatch(/2000000 bytes, limit 65536/);
  });

  it('before the handshake only small frames are taken; after it, frames up to the crawl limit', async () => {
    // 100 KB: nothing a peer sends before verack is that large (version is a few hundred bytes).
    const before = await scriptedPeer({ onConnect: (write) => write(header('inv', 100_000)) });
    const a = await visit(before);
    expect(a.obs.outcome).toBe('oversized');
    expect(a.obs.error).toMatch(/100000 bytes, limit 65536/);
    expect(MAX_HANDSHAKE_FRAME_LENGTH).toBe(65_536);
    const after = await scriptedPeer({
      afterVerack: [{ command: 'unknown', name: 'bigjunk', payload: new Uint8Array(100_000) } as Message],
      onGetaddr: (send) => send(addrv2(entries(50))),
    });
    const b = await visit(after, { getaddrMs: 8_000 });
    expect(b.obs).toMatchObject({ outcome: 'ok', error: '' });
    expect(unpackAddrs(b.obs.addrs)).toHaveLength(50);
  });

  it('a peer resending addresses we already have does not keep the visit open', async () => {
    const same: Message = { command: 'addr', addresses: entries(11), skipped: 0 };
    const port = await scriptedPeer({
      onGetaddr: (send) => {
        send(same);
        timers.push(setInterval(() => send(same), 100));
      },
    });
    const { obs, elapsed } = await visit(port, {
      getaddrMs: LONG,
      idleAfterAnswerMs: 500,
      sessionMs: 2 * LONG,
    });
    expect(obs).toMatchObject({ outcome: 'ok', error: '' });
    expect(unpackAddrs(obs.addrs)).toHaveLength(11);
    expect(elapsed).toBeLessThan(BEFORE_LONG);
  });

  it('an answer that keeps growing is cut at the getaddr deadline plus one idle gap', async () => {
    let i = 0;
    const port = await scriptedPeer({
      onGetaddr: (send) => {
        timers.push(
          setInterval(() => send({ command: 'addr', addresses: entries(11, 11 * i++), skipped: 0 }), 100),
        );
      },
    });
    const { obs, elapsed } = await visit(port, {
      getaddrMs: 1_000,
      idleAfterAnswerMs: 500,
      sessionMs: LONG,
    });
    expect(obs.outcome).toBe('ok');
    expect(unpackAddrs(obs.addrs).length).toBeGreaterThan(11);
    expect(elapsed).toBeGreaterThanOrEqual(1_000);
    expect(elapsed).toBeLessThan(BEFORE_LONG);
  });

  it('small messages after getaddr are kept up to a small bound, not maxAddr', async () => {
    const port = await scriptedPeer({
      onGetaddr: (send) => {
        for (let i = 0; i < 300; i++) send(addrv2(entries(10, 10 * i)));
      },
    });
    const { obs } = await visit(port, { getaddrMs: 8_000, tentativeIdleMs: 300 });
    expect(obs.outcome).toBe('ok');
    expect(unpackAddrs(obs.addrs)).toHaveLength(MAX_TENTATIVE_ENTRIES);
  });

  it('addrv2 entries skipped as unknown networks count against the address budget', async () => {
    // 1000 entries of network id 99 (unknown: skipped, still parsed): time, services, id, len, addr, port.
    const entry = [0, 0, 0, 0, 1, 99, 4, 1, 2, 3, 4, 0x20, 0x8d];
    const payload = Uint8Array.from([0xfd, 0xe8, 0x03, ...Array.from({ length: 1000 }, () => entry).flat()]);
    const frame = encodeFrame(magic, 'addrv2', payload);
    const port = await scriptedPeer({
      onGetaddr: (_send, write) => {
        for (let i = 0; i < 20; i++) write(frame);
      },
    });
    const { obs } = await visit(port, { getaddrMs: LONG }); // maxAddr 5000: budget 12000
    expect(obs.outcome).toBe('ok');
    expect(obs.error).toBe('after handshake: more than 12000 addresses received');
  });

  it("a Core node's one-message addrv2 answer ends the visit at once, without the idle gap", async () => {
    const port = await scriptedPeer({ onGetaddr: (send) => send(addrv2(entries(50))) });
    const { obs, elapsed } = await visit(port, {
      getaddrMs: LONG,
      idleAfterAnswerMs: LONG,
      sessionMs: 2 * LONG,
    });
    expect(obs).toMatchObject({ outcome: 'ok', error: '' });
    expect(unpackAddrs(obs.addrs)).toHaveLength(50);
    expect(elapsed).toBeLessThan(BEFORE_LONG);
  });

  it('after the handshake, an oversized frame ends the visit: still ok, the error noted', async () => {
    const port = await scriptedPeer({
      onGetaddr: (send, write) => {
        // A small answer (a Core addrv2 answer of more than 10 would end the visit at once).
        send(addrv2(entries(7)));
        write(header('addrv2', MAX_CRAWL_FRAME_LENGTH + 1));
      },
    });
    const { obs, elapsed } = await visit(port, {
      getaddrMs: LONG,
      tentativeIdleMs: LONG,
      sessionMs: 2 * LONG,
    });
    expect(obs.outcome).toBe('ok');
    expect(obs.error).toMatch(/after handshake: OVERSIZED/);
    expect(unpackAddrs(obs.addrs)).toHaveLength(7);
    expect(elapsed).toBeLessThan(BEFORE_LONG);
  });

  it('an already aborted visit does not dial', async () => {
    let connected = false;
    const port = await scriptedPeer({
      onConnect: () => {
        connected = true;
      },
    });
    const { obs } = await visit(port, {}, { signal: AbortSignal.abort() });
    expect(obs).toMatchObject({ outcome: 'connect_timeout', error: 'aborted' });
    await new Promise((r) => setTimeout(r, 50));
    expect(connected).toBe(false);
  });
});

describe("a worker's session slot", () => {
  /** A slot granted (true) or refused (false) when the test says, and when it was asked for. */
  function slot() {
    let grant!: (taken: boolean) => void;
    const granted = new Promise<boolean>((r) => {
      grant = r;
    });
    const asked = { at: 0, times: 0 };
    const take = () => {
      asked.at ||= Date.now();
      asked.times++;
      return granted;
    };
    return { take, grant, asked };
  }

  it('a connected visit sends nothing until it holds a session slot; its timers and cap start from there', async () => {
    let received = 0;
    let firstByteAt = 0;
    const port = await scriptedPeer({ onGetaddr: (send) => send(addrv2(entries(1000))) });
    const server = servers.at(-1) as net.Server;
    server.prependListener('connection', (socket: net.Socket) =>
      socket.prependListener('data', (chunk: Buffer) => {
        firstByteAt ||= Date.now();
        received += chunk.length;
      }),
    );
    const s = slot();
    const SESSION_MS = 1_000;
    const running = visit(port, { sessionMs: SESSION_MS, handshakeMs: SESSION_MS }, { connected: s.take });
    // Held past the whole session cap: a cap counted from the dial would end the visit at once.
    await new Promise((r) => setTimeout(r, SESSION_MS + 200));
    expect(s.asked.times).toBe(1);
    expect(received).toBe(0);
    const grantedAt = Date.now();
    s.grant(true);
    const { obs } = await running;
    expect(obs).toMatchObject({ outcome: 'ok', error: '' });
    expect(unpackAddrs(obs.addrs)).toHaveLength(1000);
    expect(firstByteAt).toBeGreaterThanOrEqual(grantedAt);
    // The handshake is timed from the slot, not the dial.
    expect(obs.handshakeMs).toBeLessThan(Date.now() - s.asked.at);
  });

  it('a peer that closes or resets while the visit waits is recorded as closed, and nothing throws', async () => {
    for (const how of ['end', 'reset'] as const) {
      const port = await scriptedPeer({
        onConnect: () => {
          const socket = sockets.at(-1) as net.Socket;
          // After the visit connected and began to wait.
          setTimeout(() => (how === 'end' ? socket.end() : socket.resetAndDestroy()), 50);
        },
      });
      const s = slot();
      const running = visit(port, {}, { connected: s.take });
      await new Promise((r) => setTimeout(r, 200));
      s.grant(true);
      const { obs } = await running;
      expect(s.asked.times).toBe(1); // it connected, and waited
      expect(obs.outcome).toBe('closed');
      expect(obs.error).toMatch(how === 'end' ? /before the session began/ : /^ECONNRESET: read ECONNRESET/);
      expect(obs.peer).toBeNull();
    }
  });

  it('a visit refused its slot (aborted while it waited) ends without a byte sent', async () => {
    let received = 0;
    const port = await scriptedPeer({ onConnect: () => {} });
    (servers.at(-1) as net.Server).prependListener('connection', (socket: net.Socket) =>
      socket.prependListener('data', (chunk: Buffer) => {
        received += chunk.length;
      }),
    );
    const s = slot();
    const running = visit(port, {}, { connected: s.take });
    await new Promise((r) => setTimeout(r, 100));
    s.grant(false);
    const { obs } = await running;
    expect(obs).toMatchObject({ outcome: 'handshake_timeout', error: 'visit aborted' });
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toBe(0);
  });
});

describe('session writes', () => {
  /** Runs a visit, recording the commands of each write the crawler's socket makes. */
  async function recordWrites(port: number) {
    const ours = new Set<net.Socket>();
    const writes: string[][] = [];
    const original = net.Socket.prototype.write;
    const spy = vi.spyOn(net.Socket.prototype, 'write').mockImplementation(function (
      this: net.Socket,
      ...args: Parameters<net.Socket['write']>
    ) {
      // Only the crawler's socket: the peer's sockets are server-side (their server is set).
      if (!(this as unknown as { server?: unknown }).server) {
        ours.add(this);
        writes.push(new FrameParser(magic).push(args[0] as Uint8Array).map((f) => f.command));
      }
      return original.apply(this, args);
    });
    try {
      const { obs } = await visit(port);
      expect(ours.size).toBe(1);
      return { obs, writes };
    } finally {
      spy.mockRestore();
    }
  }

  it('answers a handshake burst that arrives whole with one write: verack and getaddr together; a ping alone gets its pong', async () => {
    // The answer comes 100 ms after the ping, so the ping arrives in a chunk of its own.
    const port = await scriptedPeer({
      oneWriteBurst: true,
      onGetaddr: (send) => setTimeout(() => send(addrv2(entries(50))), 100),
    });
    const { obs, writes } = await recordWrites(port);
    expect(obs.outcome).toBe('ok');
    expect(unpackAddrs(obs.addrs)).toHaveLength(50);
    expect(writes).toEqual([['version', 'sendaddrv2'], ['verack', 'getaddr'], ['pong']]);
  });

  it('writes nothing more when the chunk that holds a ping also completes the answer (we disconnect)', async () => {
    const port = await scriptedPeer({
      oneWriteBurst: true,
      oneWritePerChunk: true,
      onGetaddr: (send) => send(addrv2(entries(50))),
    });
    const { obs, writes } = await recordWrites(port);
    expect(obs.outcome).toBe('ok');
    expect(unpackAddrs(obs.addrs)).toHaveLength(50);
    expect(writes).toEqual([
      ['version', 'sendaddrv2'],
      ['verack', 'getaddr'],
    ]);
  });
});

describe('session reads', () => {
  it('reassembles answers delivered in small pieces while other sessions read (one shared read buffer)', async () => {
    // Two peers send different 700-entry answers in 97-byte pieces, 1 ms apart, so reads of
    // both sockets interleave: a frame kept as a view into a reused read buffer would corrupt.
    const drip = (from: number) => (_send: (m: Message) => void, write: (b: Uint8Array) => void) => {
      const bytes = encodeMessageFrame(magic, addrv2(entries(700, from)));
      let at = 0;
      const next = () => {
        if (at >= bytes.length) return;
        write(bytes.subarray(at, at + 97));
        at += 97;
        timers.push(setTimeout(next, 1));
      };
      next();
    };
    const [a, b] = await Promise.all([
      scriptedPeer({ onGetaddr: drip(0) }),
      scriptedPeer({ onGetaddr: drip(5_000) }),
    ]);
    const [va, vb] = await Promise.all([visit(a), visit(b)]);
    for (const [v, from] of [
      [va, 0],
      [vb, 5_000],
    ] as const) {
      expect(v.obs).toMatchObject({ outcome: 'ok', error: '' });
      expect(unpackAddrs(v.obs.addrs)).toEqual(entries(700, from));
    }
  });
});

describe('clockOffset', () => {
  it('is their clock minus ours, clamped to Int32 whatever int64 the peer sends', () => {
    expect(clockOffset(1_700_000_010n, 1_700_000_000)).toBe(10);
    expect(clockOffset(1_699_999_990n, 1_700_000_000)).toBe(-10);
    expect(clockOffset(1_700_000_000_000n, 1_700_000_000)).toBe(0x7fff_ffff); // milliseconds
    expect(clockOffset(2n ** 62n, 1_700_000_000)).toBe(0x7fff_ffff);
    expect(clockOffset(-(2n ** 63n), 1_700_000_000)).toBe(-0x8000_0000);
  });
});

describe('session bounds', () => {
  it('stops a peer that repeats the same 1000 addresses over and over at the address budget, keeping the answer', async () => {
    const same: Message = { command: 'addr', addresses: entries(1000), skipped: 0 };
    const port = await scriptedPeer({
      onGetaddr: (send) => {
        for (let i = 0; i < 20; i++) send(same);
      },
    });
    const { obs } = await visit(port); // maxAddr 5000: budget 2 * 5000 + 2 * 1000
    expect(obs.outcome).toBe('ok');
    expect(obs.error).toBe('after handshake: more than 12000 addresses received');
    expect(unpackAddrs(obs.addrs)).toHaveLength(1000);
  });
});
