import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHAINS, decodeMessage, encodeMessageFrame, FrameParser, type Message } from '@bitcrawl/protocol';
import { describe, expect, it } from 'vitest';
import { generate } from './generate.ts';
import type { GroundTruth } from './ground-truth.ts';
import { readGroundTruth, writeGroundTruth } from './ground-truth-file.ts';
import { startSimnet } from './simnet.ts';
import { simnetSpecSchema } from './spec.ts';

const tally = (truth: GroundTruth) => {
  const t: Record<string, number> = {};
  for (const n of truth.nodes) t[n.kind] = (t[n.kind] ?? 0) + 1;
  return t;
};

/** Every endpoint a crawl from the seeds can discover through the answers. */
function discoverable(truth: GroundTruth): number {
  const byEndpoint = new Map(truth.nodes.map((n) => [n.endpoint, n]));
  const seen = new Set(truth.seeds);
  const queue = [...truth.seeds];
  while (queue.length) {
    for (const a of byEndpoint.get(queue.pop() as string)?.answer ?? []) {
      const e = a.network === 'ipv6' ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
      if (!seen.has(e)) seen.add(e) && queue.push(e);
    }
  }
  return seen.size;
}

describe('simnet shapes for bench:round', () => {
  it('takes exact kind counts, an exact dead count, and SYN-dropped addresses in their own range', () => {
    const spec = simnetSpecSchema.parse({
      seed: 21,
      counts: { core: 300, silent: 75 },
      dead: 300,
      dropped: 120,
      table: { min: 400, max: 500 },
    });
    const truth = generate(spec).truth;
    expect(tally(truth)).toEqual({ core: 300, silent: 75, dead: 300, dropped: 120 });
    expect(truth.nodes[0]?.kind).toBe('core');
    const dropped = truth.nodes.filter((n) => n.kind === 'dropped');
    expect(
      dropped.every((n) => /^127\.150\.\d+\.\d+$/.test(n.host) && n.expectedOutcome === 'connect_timeout'),
    ).toBe(true);
    expect(discoverable(truth)).toBe(truth.nodes.length);
    // 92 answers per Core node (23% of 400..500), every one of them distinct
    for (const n of truth.nodes.filter((x) => x.kind === 'core')) {
      expect(n.answer.length).toBe(n.answerCount);
      expect(new Set(n.answer.map((a) => `${a.host}:${a.port}`)).size).toBe(n.answerCount);
      expect(n.answerCount).toBeGreaterThanOrEqual(92);
    }
    expect(() => simnetSpecSchema.parse({ counts: { silent: 3 } })).toThrow(/at least one core/);
  });

  it('writes the ground truth without edges when asked, and with them by default, both readable', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'simnet-truth-'));
    const base = { seed: 22, counts: { core: 40, silent: 5 }, dead: 20, table: { min: 40, max: 100 } };
    for (const truthEdges of [true, false]) {
      const truth = generate(simnetSpecSchema.parse({ ...base, truthEdges })).truth;
      const file = path.join(dir, `${truthEdges}.ndjson`);
      await writeGroundTruth(file, truth);
      const back = await readGroundTruth(file);
      expect(back.edges).toBe(truthEdges);
      expect(back.edgeCount).toBe(truth.edgeCount);
      expect(back.nodes.map((n) => n.answerCount)).toEqual(truth.nodes.map((n) => n.answerCount));
      if (truthEdges) expect(back.nodes).toEqual(truth.nodes.map((n) => ({ ...n })));
      else expect(back.nodes.every((n) => n.answer.length === 0)).toBe(true);
    }
  });

  it('plans shape M (60,000 addresses, 15 million gossip edges) without an object per edge', () => {
    const before = process.memoryUsage().heapUsed;
    const plan = generate(
      simnetSpecSchema.parse({
        seed: 23,
        counts: { core: 15_000, silent: 1_000 },
        dead: 14_000,
        dropped: 30_000,
        table: { min: 4_400, max: 5_000 },
        truthEdges: false,
      }),
    );
    expect(plan.truth.nodes.length).toBe(60_000);
    expect(plan.truth.edgeCount).toBe(15_000_000);
    // Two objects per edge (as before) took several GB; indices take 60 MB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(400 * 1024 * 1024);
  });

  it('serves exactly the answer the ground truth lists, built from the compact plan', async () => {
    // A port of its own: other simnets (tests running at the same time) listen on 8333.
    const port = 21_000 + Math.floor(Math.random() * 9_000);
    const sim = await startSimnet({
      seed: 24,
      counts: { core: 30 },
      dead: 10,
      table: { min: 100, max: 100 },
      port,
    });
    try {
      const node = sim.groundTruth.nodes[3]!;
      const magic = CHAINS.mainnet.magic;
      const got: Message[] = [];
      await new Promise<void>((resolve, reject) => {
        const s = net.connect(node);
        const parser = new FrameParser(magic);
        const send = (m: Message) => s.write(encodeMessageFrame(magic, m));
        s.on('connect', () => {
          send({
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
          });
          send({ command: 'sendaddrv2' });
        });
        s.on('data', (d) => {
          for (const f of parser.push(d)) {
            const m = decodeMessage(f);
            got.push(m);
            if (m.command === 'verack') {
              send({ command: 'verack' });
              send({ command: 'getaddr' });
            }
            if (m.command === 'addrv2' && m.addresses.length > 1) {
              s.destroy();
              resolve();
            }
          }
        });
        s.on('error', reject);
      });
      const answer = got.find((m) => m.command === 'addrv2' && m.addresses.length > 1);
      if (answer?.command !== 'addrv2') throw new Error('no addrv2 answer');
      expect(answer.addresses.map((a) => ({ ...a, services: String(a.services) }))).toEqual(node.answer);
    } finally {
      await sim.stop();
    }
  });
});
