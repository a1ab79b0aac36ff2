import path from 'node:path';
import { unpackAddrs } from '@bitcrawl/protocol';
import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { runCommand } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = path.resolve(import.meta.dirname, '../../bin/bitcrawl.mjs');

const run = (args: string[]) => runCommand(process.execPath, [bin, ...args]);

let sim: Simnet;
beforeAll(async () => {
  sim = await startSimnet({ seed: 3, nodes: 10, kinds: { core: 1 }, onion: 1, i2p: 1 });
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
    expect(unpackAddrs(obs.addrs)).toHaveLength(node.answer.length);
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
