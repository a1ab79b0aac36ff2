import { type Simnet, startSimnet } from '@bitcrawl/simnet';
import { CLI_BIN, cliBudget, loopbackTimerFlags, runCommand } from '@bitcrawl/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// Time limits sized from this machine's measured speed (see testkit's time-budget.ts).
vi.setConfig({ testTimeout: cliBudget(3, 60_000) });

const bin = CLI_BIN;

const run = (args: string[]) => runCommand(process.execPath, [bin, ...args]);

let sim: Simnet;
beforeAll(async () => {
  // Nodes that speak BIP324 v2 (and v1, as Core).
  sim = await startSimnet({
    seed: 3,
    nodes: 12,
    kinds: { core: 1, silent: 1 },
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
  });

  it(
    '--transport v1 visits over v1',
    async () => {
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
    },
    cliBudget(1, 15_000),
  );

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
  });

  it('refuses a private target without --allow-private: exit 1, the JSON still printed', async () => {
    const r = await run(['visit', sim.groundTruth.nodes[0]!.endpoint]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'not_dialable' });
  });

  // Issue 17, finding 6: "check my node" exited 0 for not_dialable and handshake_timeout, waited
  // silently, and some timers could not be set at all.
  it('exit 1 for a node that does not answer, with the JSON; an onion without proxy names --proxy-onion', async () => {
    const silent = sim.groundTruth.nodes.find((n) => n.kind === 'silent')!;
    const r = await run(['visit', silent.endpoint, '--allow-private', '--handshake-timeout', '500']);
    expect(r.status, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'handshake_timeout', host: silent.host });
    const onion = sim.groundTruth.nodes.find((n) => n.network === 'onion')!;
    const o = await run(['visit', onion.endpoint]);
    expect(o.status).toBe(1);
    expect(JSON.parse(o.stdout).error).toMatch(
      /no proxy configured for onion \(--proxy-onion URL, or PROXY_ONION\)/,
    );
  });

  it('every timer is a flag and a variable; a bad one is exit 2 naming the flag', async () => {
    const node = sim.groundTruth.nodes.find((n) => n.kind === 'core')!.endpoint;
    const flags = await run([
      'visit',
      node,
      '--allow-private',
      '--getaddr-timeout',
      '3000',
      '--session-timeout',
      '1000',
    ]);
    expect(flags.status).toBe(2);
    expect(flags.stderr).toMatch(/--getaddr-timeout \(3000\) must be less than --session-timeout \(1000\)/);
    const env = await runCommand(process.execPath, [bin, 'visit', node, '--allow-private'], {
      env: { GETADDR_TIMEOUT_MS: '3000', SESSION_TIMEOUT_MS: '1000' },
    });
    expect(env.status).toBe(2);
    expect(env.stderr).toMatch(/--getaddr-timeout \(3000\) must be less than --session-timeout \(1000\)/);
    const bad = await runCommand(process.execPath, [bin, 'visit', node], {
      env: { TENTATIVE_IDLE_MS: 'soon' },
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--tentative-idle-timeout \(or TENTATIVE_IDLE_MS\): expected milliseconds/);
    // Set and used: a 1-entry-or-more answer is taken after this wait instead of the default 10 s.
    const ok = await run([
      'visit',
      node,
      '--allow-private',
      '--profile',
      'loopback',
      '--tentative-idle-timeout',
      '200',
      ...loopbackTimerFlags(), // the profile's timers scaled to the machine's speed
    ]);
    expect(ok.status, ok.stderr).toBe(0);
  });

  it('on a terminal, stderr shows the phase it is waiting in and the flag that sets it', async () => {
    const silent = sim.groundTruth.nodes.find((n) => n.kind === 'silent')!;
    // script(1) gives the command a terminal; its output is what the terminal showed.
    const cmd = `${process.execPath} ${bin} visit ${silent.endpoint} --allow-private --handshake-timeout 1500 >/dev/null`;
    const r = await runCommand('script', ['-qec', cmd, '/dev/null']);
    expect(r.stdout).toContain('handshake: waiting for version/verack (up to 1.5 s, --handshake-timeout)');
    expect(r.status).toBe(1);
  });

  it('exits 2 on a bad endpoint', async () => {
    const r = await run(['visit', '999.1.1.1:8333']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not an IPv4/);
  });

  it('exits 2 with a clear message on a bad --proxy, before any dial', async () => {
    const r = await run(['visit', '1.2.3.4:8333', '--proxy', 'http://127.0.0.1:9']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/invalid proxy URL "http:\/\/127\.0\.0\.1:9": unsupported scheme "http:"/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.stdout).toBe('');
  });

  it('a proxy that cannot be reached is one line and exit 1, not an observation of the node', async () => {
    const node = sim.groundTruth.nodes[0]!;
    const r = await run(['visit', node.endpoint, '--allow-private', '--proxy', 'socks5://127.0.0.1:1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^bitcrawl: proxy 127\.0\.0\.1:1: ECONNREFUSED/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });
});
