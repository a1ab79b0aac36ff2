import net from 'node:net';
import { CHAINS, decodeMessage, encodeMessageFrame, FrameParser, type Message } from '@bitcrawl/protocol';
import { describe, expect, it } from 'vitest';
import { generate } from './generate.ts';
import { startSimnet } from './simnet.ts';
import { simnetSpecSchema } from './spec.ts';

const magic = CHAINS.mainnet.magic;

/** A raw client: sends messages, collects what comes back until the peer closes or `ms` pass. */
async function talk(
  endpoint: { host: string; port: number },
  script: (send: (m: Message) => void, got: Message[]) => void,
  ms = 800,
) {
  const got: Message[] = [];
  let closedByPeer = false;
  await new Promise<void>((resolve) => {
    const s = net.connect(endpoint);
    const parser = new FrameParser(magic);
    const send = (m: Message) => s.write(encodeMessageFrame(magic, m));
    s.on('connect', () => script(send, got));
    s.on('data', (d) => {
      for (const f of parser.push(d)) {
        got.push(decodeMessage(f));
        script(send, got);
      }
    });
    s.on('close', () => {
      closedByPeer = true;
      resolve();
    });
    s.on('error', () => {});
    setTimeout(() => {
      s.destroy();
      resolve();
    }, ms);
  });
  return { got, closedByPeer };
}

const version: Message = {
  command: 'version',
  version: 70016,
  services: 0n,
  timestamp: 0n,
  addrRecv: { services: 0n, network: 'ipv4', host: '127.0.0.1', port: 8333 },
  addrFrom: { services: 0n, network: 'ipv6', host: '::', port: 0 },
  nonce: 1n,
  userAgent: '/test/',
  startHeight: 0,
  relay: false,
};

describe('simnet', () => {
  it('rejects a bad spec with a message naming the field', () => {
    expect(() => simnetSpecSchema.parse({ nodes: 0 })).toThrow(/nodes/);
    expect(() => simnetSpecSchema.parse({ table: { min: 10, max: 5 } })).toThrow(/min must be <= max/);
  });

  it('is deterministic, and every address is reachable from the seeds through the gossip graph', () => {
    const spec = simnetSpecSchema.parse({
      seed: 5,
      nodes: 300,
      kinds: { core: 3, legacy: 1, silent: 1 },
      onion: 5,
      i2p: 5,
    });
    const a = generate(spec).truth;
    expect(generate(spec).truth).toEqual(a);
    const byEndpoint = new Map(a.nodes.map((n) => [n.endpoint, n]));
    const seen = new Set(a.seeds);
    const queue = [...a.seeds];
    while (queue.length) {
      const n = byEndpoint.get(queue.shift() as string)!;
      for (const x of n.answer) {
        const e = byEndpoint.get(
          x.network === 'ipv6' || x.network === 'cjdns' ? `[${x.host}]:${x.port}` : `${x.host}:${x.port}`,
        )!;
        if (!seen.has(e.endpoint)) {
          seen.add(e.endpoint);
          queue.push(e.endpoint);
        }
      }
    }
    expect(seen.size).toBe(a.nodes.length);
    for (const n of a.nodes.filter((x) => x.kind === 'legacy')) {
      expect(n.answer.every((x) => x.network === 'ipv4' || x.network === 'ipv6')).toBe(true);
    }
  });

  it('a Core-like node follows Core 31 order, answers getaddr once, and drops a late sendaddrv2', async () => {
    const sim = await startSimnet({ seed: 9, nodes: 30, kinds: { core: 1 }, selfAnnounce: 0 });
    try {
      const node = sim.groundTruth.nodes[0]!;
      const r = await talk(node, (send, got) => {
        if (got.length === 0) {
          send(version);
          send({ command: 'sendaddrv2' });
        }
        if (got.at(-1)?.command === 'verack') {
          send({ command: 'verack' });
          send({ command: 'getaddr' });
          send({ command: 'getaddr' });
        }
      });
      expect(r.got.map((m) => m.command)).toEqual([
        'version',
        'wtxidrelay',
        'sendaddrv2',
        'verack',
        'sendcmpct',
        'ping',
        'feefilter',
        'addrv2',
      ]);
      const answer = r.got.at(-1);
      expect(answer?.command === 'addrv2' && answer.addresses.length).toBe(node.answer.length);

      const late = await talk(node, (send, got) => {
        if (got.length === 0) send(version);
        if (got.at(-1)?.command === 'verack') {
          send({ command: 'verack' });
          send({ command: 'sendaddrv2' });
          send({ command: 'getaddr' });
        }
      });
      expect(late.closedByPeer).toBe(true);
      expect(late.got.some((m) => m.command === 'addr' || m.command === 'addrv2')).toBe(false);

      const notVersion = await talk(node, (send, got) => {
        if (got.length === 0) send({ command: 'ping', nonce: 1n });
      });
      expect(notVersion.closedByPeer).toBe(true);
      expect(notVersion.got).toEqual([]);
    } finally {
      await sim.stop();
    }
  });

  it('a legacy node answers addr v1 split over several messages', async () => {
    const sim = await startSimnet({ seed: 4, nodes: 40, kinds: { legacy: 1 } });
    try {
      const node = sim.groundTruth.nodes.find((n) => n.kind === 'legacy')!;
      const r = await talk(node, (send, got) => {
        if (got.length === 0) send(version);
        if (got.at(-1)?.command === 'verack') {
          send({ command: 'verack' });
          send({ command: 'getaddr' });
        }
      });
      const parts = r.got.filter((m) => m.command === 'addr');
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.reduce((s, m) => s + (m.command === 'addr' ? m.addresses.length : 0), 0)).toBe(
        node.answer.length,
      );
      expect(r.got[0]).toMatchObject({ command: 'version', version: 70015 });
    } finally {
      await sim.stop();
    }
  });

  it('starts and stops 2,000 nodes cleanly', async () => {
    const t = Date.now();
    const sim = await startSimnet({ seed: 2, nodes: 2000, kinds: { core: 1 } });
    await sim.stop();
    expect(Date.now() - t).toBeLessThan(20_000);
    // every listener is closed: connecting now is refused
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(sim.groundTruth.nodes[5]!);
      s.on('connect', () => resolve(false));
      s.on('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  }, 30_000);
});
