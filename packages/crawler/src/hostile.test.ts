import type { Observation } from '@bitcrawl/model';
import { type AddrEntry, encodeFrame, unpackAddrs, Writer } from '@bitcrawl/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { crawlerConfigSchema } from './config.ts';
import {
  afterHandshake,
  bareHeader,
  frame,
  hostilePeer,
  magic,
  type Peer,
  versionMessage,
} from './hostile-peers.test-util.ts';
import { BAD_PORTS } from './policy.ts';
import { createVisitor } from './visitor.ts';

/*
 * The hostile-peer suite: one behaviour per peer, each visit ending in its documented outcome
 * by its deadline. Deadlines are short and asserted with generous slack (SLACK_MS), never as
 * tight wall-clock bounds: what is checked is the outcome, and that the visit did not outlive
 * the timer that should end it.
 */

const T = {
  connectMs: 5_000,
  handshakeMs: 2_000,
  getaddrMs: 3_000,
  idleAfterAnswerMs: 500,
  tentativeIdleMs: 500,
};
// The cap lies well past every deadline plus the slack: a visit held to the cap by a deadline
// that failed to fire misses the bound on any machine, a loaded one included.
const SESSION_MS = 60_000;
const SLACK_MS = 25_000;

const config = (over: object = {}) =>
  crawlerConfigSchema.parse({
    chain: 'regtest',
    allowPrivate: true,
    timeouts: { ...T, sessionMs: SESSION_MS },
    // These scripted peers are v1 (hostile in v1 framing); v2 sessions are tested in transport.test.
    transport: 'v1',
    ...over,
  });

const peers: Peer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

async function start(behaviour: Parameters<typeof hostilePeer>[0]): Promise<number> {
  const peer = await hostilePeer(behaviour);
  peers.push(peer);
  return peer.port;
}

async function visit(port: number, over: object = {}): Promise<{ obs: Observation; elapsed: number }> {
  const t0 = performance.now();
  const obs = await createVisitor(config(over)).visit(
    { network: 'ipv4', host: '127.0.0.1', port },
    { crawlId: 'hostile', explicit: true },
  );
  return { obs, elapsed: performance.now() - t0 };
}

const entry = (host: string, port: number, network: AddrEntry['network'] = 'ipv4'): AddrEntry => ({
  time: Math.floor(Date.now() / 1000) - 3600,
  services: 1n,
  network,
  host,
  port,
});

/** An addrv2 payload with raw entries: [network id, address bytes]. */
function rawAddrV2(items: [number, Uint8Array][]): Uint8Array {
  const w = new Writer(64);
  w.varint(items.length);
  for (const [id, bytes] of items)
    w.u32le(1_700_000_000).varint(1n).u8(id).varint(bytes.length).bytes(bytes).u16be(8333);
  return w.finish();
}

describe('hostile peers: the handshake phase', () => {
  it('silent: handshake_timeout at the handshake deadline', async () => {
    const port = await start(() => {});
    const { obs, elapsed } = await visit(port);
    expect(obs.outcome).toBe('handshake_timeout');
    expect(elapsed).toBeGreaterThanOrEqual(T.handshakeMs - 50);
    expect(elapsed).toBeLessThan(T.handshakeMs + SLACK_MS);
  });

  it('slowloris (a byte of version every 50 ms): bytes do not extend the handshake deadline', async () => {
    const version = frame(versionMessage());
    const port = await start((socket) => {
      let i = 0;
      const timer = setInterval(() => {
        if (socket.destroyed || i >= version.length) return clearInterval(timer);
        socket.write(version.subarray(i, ++i));
      }, 50);
      socket.on('close', () => clearInterval(timer));
    });
    const { obs, elapsed } = await visit(port, {
      timeouts: { ...T, handshakeMs: 1_500, sessionMs: SESSION_MS },
    });
    expect(obs.outcome).toBe('handshake_timeout');
    expect(elapsed).toBeLessThan(1_500 + SLACK_MS);
  });

  it.each([
    ['0xFFFFFFFF', 0xffff_ffff],
    ['32 MiB', 32 * 1024 * 1024],
  ])('a header declaring %s bytes: oversized, before any payload is read', async (_, length) => {
    const port = await start((socket) => socket.write(bareHeader('version', length)));
    const { obs, elapsed } = await visit(port);
    expect(obs.outcome).toBe('oversized');
    expect(obs.error).toMatch(/^OVERSIZED: /);
    expect(elapsed).toBeLessThan(T.handshakeMs + SLACK_MS);
  });

  it.each([31_799, 0, -1])('version %i (below 31800): malformed, OBSOLETE_VERSION', async (version) => {
    const port = await start((socket) => socket.write(frame(versionMessage(version))));
    const { obs } = await visit(port);
    expect(obs.outcome).toBe('malformed');
    expect(obs.error).toMatch(/^OBSOLETE_VERSION: protocol version -?\d+ below 31800/);
    expect(obs.peer?.protocolVersion).toBe(version);
  });

  it('verack before version: malformed, VERSION_NOT_FIRST', async () => {
    const port = await start((socket) =>
      socket.write(Buffer.concat([frame({ command: 'verack' }), frame(versionMessage())])),
    );
    const { obs } = await visit(port);
    expect(obs.outcome).toBe('malformed');
    expect(obs.error).toMatch(/^VERSION_NOT_FIRST: "verack" before/);
  });
});

describe('hostile peers: after the handshake', () => {
  it('trailing bytes where Core ignores them (ping, sendcmpct, feefilter, verack, addr): ok, the answer kept', async () => {
    const withTail = (command: string, payload: Uint8Array) =>
      encodeFrame(magic, command, Uint8Array.from([...payload, 0xee, 0xee]));
    const addr = frame({
      command: 'addr',
      addresses: [entry('198.51.100.1', 8333), entry('198.51.100.2', 8333)],
      skipped: 0,
    });
    const addrPayload = addr.subarray(24);
    const burst = Buffer.concat([
      frame(versionMessage()),
      withTail('verack', new Uint8Array(0)),
      withTail('sendcmpct', Uint8Array.of(0, 2, 0, 0, 0, 0, 0, 0, 0)),
      withTail('ping', new Uint8Array(8)),
      withTail('feefilter', new Uint8Array(8)),
      encodeFrame(magic, '', Uint8Array.of(1)), // an empty command: an unknown message to Core
    ]);
    const port = await start(afterHandshake((s) => s.write(withTail('addr', addrPayload)), burst));
    const { obs } = await visit(port);
    expect(obs.outcome).toBe('ok');
    expect(obs.error).toBe('');
    expect(
      unpackAddrs(obs.addrs)
        .map((a) => a.host)
        .sort(),
    ).toEqual(['198.51.100.1', '198.51.100.2']);
  });

  it.each([
    [
      '1001 entries',
      () =>
        frame({
          command: 'addr',
          addresses: Array.from({ length: 1001 }, (_, i) => entry(`198.51.${i >> 8}.${i & 255}`, 8333)),
          skipped: 0,
        }),
    ],
    ['a count of 2^32', () => encodeFrame(magic, 'addr', Uint8Array.of(0xff, 0, 0, 0, 0, 1, 0, 0, 0))],
    [
      'an addrv2 count of 2^32',
      () => encodeFrame(magic, 'addrv2', Uint8Array.of(0xff, 0, 0, 0, 0, 1, 0, 0, 0)),
    ],
  ])('an addr with %s: ok with TOO_MANY_ENTRIES noted, without waiting out the getaddr timeout', async (_, make) => {
    const port = await start(afterHandshake((s) => s.write(make())));
    const { obs, elapsed } = await visit(port, { timeouts: { ...T, getaddrMs: 60_000, sessionMs: 90_000 } });
    expect(obs.outcome).toBe('ok');
    expect(obs.error).toMatch(/^after handshake: TOO_MANY_ENTRIES: /);
    expect(elapsed).toBeLessThan(60_000);
  });

  it.each([
    ['Tor v3 address of 31 bytes', 4],
    ['I2P address of 31 bytes', 5],
  ])('an addrv2 with a %s: the visit ends ok with the MALFORMED entry noted', async (_, id) => {
    const port = await start(
      afterHandshake((s) => s.write(encodeFrame(magic, 'addrv2', rawAddrV2([[id, new Uint8Array(31)]])))),
    );
    const { obs, elapsed } = await visit(port, { timeouts: { ...T, getaddrMs: 60_000, sessionMs: 90_000 } });
    expect(obs.outcome).toBe('ok');
    expect(obs.error).toMatch(/^after handshake: MALFORMED: addrv2: addrv2 entry 0: /);
    expect(elapsed).toBeLessThan(60_000);
  });

  it('endless ping (a hundred every 10 ms, forever): the message limit ends the visit, noted', async () => {
    const pings = Buffer.concat(
      Array.from({ length: 100 }, (_, i) => frame({ command: 'ping', nonce: BigInt(i) })),
    );
    const port = await start(
      afterHandshake((socket) => {
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(pings)), 10);
        socket.on('close', () => clearInterval(timer));
      }),
    );
    const { obs, elapsed } = await visit(port, { timeouts: { ...T, getaddrMs: 60_000, sessionMs: 90_000 } });
    expect(obs.outcome).toBe('ok');
    expect(obs.error).toBe('after handshake: message limit reached');
    expect(elapsed).toBeLessThan(60_000);
  });

  it('slow bytes of a large frame (progress that only adds bytes) do not extend the getaddr deadline', async () => {
    const port = await start(
      afterHandshake((socket) => {
        socket.write(bareHeader('addrv2', 1_000_000));
        const kib = new Uint8Array(1024);
        const timer = setInterval(() => (socket.destroyed ? clearInterval(timer) : socket.write(kib)), 20);
        socket.on('close', () => clearInterval(timer));
      }),
    );
    const { obs, elapsed } = await visit(port);
    expect(obs.outcome).toBe('ok');
    expect(unpackAddrs(obs.addrs)).toEqual([]);
    expect(elapsed).toBeLessThan(T.handshakeMs + T.getaddrMs + SLACK_MS);
  });

  it('pinning (999,000 of 1,000,000 bytes, then silence) past the byte budget: malformed, BYTE_BUDGET', async () => {
    const pin = Buffer.concat([bareHeader('addrv2', 1_000_000), new Uint8Array(999_000)]);
    const port = await start(afterHandshake((s) => s.write(pin)));
    // A 2 MiB budget holds two such frames: of five pinning peers at once, three are refused.
    const visitor = createVisitor(config({ maxBufferedBytes: 2 * 1024 * 1024 }));
    const t0 = performance.now();
    const all = await Promise.all(
      Array.from({ length: 5 }, () =>
        visitor.visit({ network: 'ipv4', host: '127.0.0.1', port }, { crawlId: 'hostile', explicit: true }),
      ),
    );
    const elapsed = performance.now() - t0;
    const refused = all.filter((o) => o.outcome === 'malformed');
    expect(refused).toHaveLength(3);
    for (const o of refused) expect(o.error).toMatch(/^BYTE_BUDGET: a 1000000-byte frame not accepted/);
    // The two admitted ones hold their frame until the getaddr deadline, no longer.
    expect(all.filter((o) => o.outcome === 'ok')).toHaveLength(2);
    expect(elapsed).toBeLessThan(T.handshakeMs + T.getaddrMs + SLACK_MS);
  });
});

describe('hostile gossip: what an answer may make us dial', () => {
  const gossipVisitor = (over: object = {}) => createVisitor(config(over));
  const judge = (
    visitor: ReturnType<typeof gossipVisitor>,
    a: { network: AddrEntry['network']; host: string; port: number },
  ) => visitor.visit({ network: a.network, host: a.host, port: a.port }, { crawlId: 'hostile' });

  it('the 250-port answer: every bad port and port 0 refused without a dial, with the reason', async () => {
    const ports = Array.from({ length: 250 }, (_, i) => i); // 0..249: 0, 22, 25, 53, 80? (not bad), ...
    const answer = frame({
      command: 'addrv2',
      addresses: ports.map((p) => entry('127.0.0.1', p)),
      skipped: 0,
    });
    const port = await start(afterHandshake((s) => s.write(answer)));
    const { obs } = await visit(port);
    expect(obs.outcome).toBe('ok');
    expect(unpackAddrs(obs.addrs)).toHaveLength(250);
    const visitor = gossipVisitor();
    const bad = unpackAddrs(obs.addrs).filter((a) => a.port === 0 || BAD_PORTS.has(a.port));
    expect(bad.length).toBe(1 + [...BAD_PORTS].filter((p) => p < 250).length);
    for (const a of bad) {
      const o = await judge(visitor, a);
      expect(o.outcome, `port ${a.port}`).toBe('not_dialable');
      expect(o.connectMs).toBe(0);
      expect(o.error).toMatch(
        a.port === 0
          ? /^port 0 from gossip/
          : new RegExp(`^port ${a.port} from gossip is on Bitcoin Core's bad-port list`),
      );
    }
  });

  it('private and mapped forms in an answer are not dialed (without --allow-private)', async () => {
    const forms: [AddrEntry['network'], string][] = [
      ['ipv4', '10.1.2.3'],
      ['ipv4', '127.0.0.1'],
      ['ipv4', '192.168.1.1'],
      ['ipv6', '::ffff:10.1.2.3'],
      ['ipv6', '::ffff:127.0.0.1'],
      ['ipv6', '64:ff9b::7f00:1'],
      ['ipv6', '2002:a00:1::1'],
      ['ipv6', 'fe80::1'],
      ['ipv6', '::1'],
    ];
    const answer = frame({
      command: 'addrv2',
      addresses: forms.map(([n, h]) => entry(h, 8333, n)),
      skipped: 0,
    });
    const port = await start(afterHandshake((s) => s.write(answer)));
    const { obs } = await visit(port);
    expect(obs.outcome).toBe('ok');
    const strict = createVisitor(
      crawlerConfigSchema.parse({
        chain: 'regtest',
        transport: 'v1',
        timeouts: { ...T, sessionMs: SESSION_MS },
      }),
    );
    expect(unpackAddrs(obs.addrs).length).toBeGreaterThanOrEqual(forms.length - 2); // addrv2 may carry mapped ones as IPv4
    for (const a of unpackAddrs(obs.addrs)) {
      const o = await judge(strict, a);
      expect(o.outcome, `${a.network} ${a.host}`).toBe('not_dialable');
      expect(o.error).toMatch(/non-routable|cannot connect/);
    }
  });
});
