import path from 'node:path';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { runCommand } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = path.resolve(import.meta.dirname, '../../bin/bitcrawl.mjs');

const run = (args: string[]) => runCommand(process.execPath, [bin, ...args]);

let sim: Simnet;
beforeAll(async () => {
  // Nodes that speak BIP324 v2 (and v1, as Core).
  sim = await startSimnet({
    seed: 3,
    nodes: 10,
    kinds: { core: 1 },
    onion: 1,
    i2p: 1,
    transports: { v2: 1 },
    // Ports of its own: other simnets may be running on 127.1.x.y:8333 meanwhile.
    port: 11_000 + Math.floor(Math.random() * 8_000),
  });
});
afterAll(() => sim?.stop());

describe('bitcrawl visit', () => {
  it('prints the observation of a node with its exact version and answer', async () => {
    const node = sim.groundTruth.nodes[0]!;
    const r = await run(['visit', node.endpoint, '--allow-private', '--getaddr-timeout', '3000']);
    expect(r.status).toBe(0);
    const obs = JSON.parse(r.stdout);
    expect(obs).toMatchObject({
      outcome: 'ok',
      host: node.host,
      port: node.port,
      peer: {
        userAgent: node.version?.userAgent,
        services: node.version?.services,
        startHeight: node.version?.startHeight,
      },
    });
    // Its services are unknown beforehand: v2 is tried, and spoken.
    expect(obs).toMatchObject({ transport: 'v2', v2Fallback: false });
    expect(obs.v2SessionId).toMatch(/^[0-9a-f]{16}$/);
    // The JSON lists the answer's entries (observationToJson unpacks them).
    expect(obs.addrs).toHaveLength(node.answer.length);
  }, 20_000);

  it('--transport v1 visits over v1', async () => {
    const node = sim.groundTruth.nodes[0]!;
    const r = await run([
      'visit',
      node.endpoint,
      '--allow-private',
      '--getaddr-timeout',
      '3000',
      '--transport',
      'v1',
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      outcome: 'ok',
      transport: 'v1',
      v2Fallback: false,
      v2SessionId: '',
    });
  }, 20_000);

  it('reaches .onion and .b32.i2p nodes through --proxy-onion / --proxy-i2p (crawl names them so too)', async () => {
    for (const [network, flag] of [
      ['onion', '--proxy-onion'],
      ['i2p', '--proxy-i2p'],
      ['onion', '--onion-proxy'], // the older spelling still works
    ] as const) {
      const node = sim.groundTruth.nodes.find((n) => n.network === network)!;
      const r = await run(['visit', node.endpoint, flag, sim.socksProxy, '--getaddr-timeout', '3000']);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout), flag).toMatchObject({ outcome: 'ok', network, host: node.host });
    }
  }, 60_000);

  it('refuses a private target without --allow-private, still exit 0', async () => {
    const r = await run(['visit', sim.groundTruth.nodes[0]!.endpoint]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'not_dialable' });
  }, 20_000);

  it('exits 2 on a bad endpoint', async () => {
    const r = await run(['visit', '999.1.1.1:8333']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not an IPv4/);
  }, 20_000);

  it('exits 2 with a clear message on a bad --proxy, before any dial', async () => {
    const r = await run(['visit', '1.2.3.4:8333', '--proxy', 'http://127.0.0.1:9']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/invalid proxy URL "http:\/\/127\.0\.0\.1:9": unsupported scheme "http:"/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe('');
  }, 20_000);

  it('a proxy that cannot be reached is one line and exit 1, not an observation of the node', async () => {
    const node = sim.groundTruth.nodes[0]!;
    const r = await run(['visit', node.endpoint, '--allow-private', '--proxy', 'socks5://127.0.0.1:1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^bitcrawl: proxy 127\.0\.0\.1:1: ECONNREFUSED/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  }, 20_000);
});
