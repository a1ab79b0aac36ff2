import { type Command, Option } from 'commander';
import { z } from 'zod';
import { addTimeoutOptions, timerErrorInFlags, timersFrom } from '../timeout-options.ts';
import { UsageError } from '../usage-error.ts';

const optsSchema = z.object({
  network: z.string().default('mainnet'),
  allowPrivate: z.boolean().default(false),
  proxy: z.string().optional(),
  // crawl's names; --onion-proxy / --i2p-proxy are kept as their older spellings.
  proxyOnion: z.string().optional(),
  proxyI2p: z.string().optional(),
  proxyCjdns: z.string().optional(),
  onionProxy: z.string().optional(),
  i2pProxy: z.string().optional(),
  cjdns: z.boolean().default(false),
  transport: z.enum(['v2-first', 'v1', 'v2-only']).default('v2-first'),
});

/**
 * `bitcrawl visit HOST:PORT` ("check my node"): one visit, its Observation as JSON on stdout.
 * Exit 0 when the node was reachable (outcome `ok`), 1 for any other outcome (the JSON says
 * which), 2 for bad arguments. On a terminal, stderr shows the phase it is waiting in.
 */
export function register(program: Command): void {
  const cmd = program
    .command('visit')
    .description('visit one node and print its observation (handshake, version fields, getaddr answer)')
    .argument('<endpoint>', 'HOST:PORT, [IPv6]:PORT, NAME.onion:PORT or NAME.b32.i2p')
    .option('--network <name>', 'chain: mainnet|testnet|testnet4|signet|regtest', 'mainnet')
    .option('--allow-private', 'allow loopback and private targets')
    .option(
      '--proxy <url>',
      'SOCKS proxy for all IPv4/IPv6/onion traffic (socks5://[user:pass@]host:port, socks5h://, socks4://)',
    )
    .option('--proxy-onion <url>', 'SOCKS proxy for .onion (Tor)')
    .option('--proxy-i2p <url>', 'SOCKS proxy for .b32.i2p (i2pd)')
    .option('--proxy-cjdns <url>', 'SOCKS proxy for CJDNS (with --cjdns)')
    .addOption(new Option('--onion-proxy <url>', 'same as --proxy-onion').hideHelp())
    .addOption(new Option('--i2p-proxy <url>', 'same as --proxy-i2p').hideHelp())
    .option('--cjdns', 'this host has a CJDNS route (fc00::/8 targets are CJDNS)')
    .option(
      '--transport <mode>',
      'v2-first (BIP324 v2, v1 when the node hangs up on it), v1 or v2-only',
      process.env.TRANSPORT || 'v2-first',
    );
  addTimeoutOptions(cmd).action(async (endpoint: string, raw: Record<string, unknown>) => {
    const o = optsSchema.parse(raw);
    const timers = timersFrom(raw);
    const { chainByName, parseEndpoint, ProtocolError } = await import('@bitcrawl/protocol');
    const { createVisitor, crawlerConfigFrom } = await import('@bitcrawl/crawler');
    const { observationToJson } = await import('@bitcrawl/model');
    let target: ReturnType<typeof parseEndpoint>;
    let config: ReturnType<typeof crawlerConfigFrom>;
    try {
      const chain = chainByName(o.network);
      target = parseEndpoint(endpoint, chain.defaultPort, { cjdns: o.cjdns });
      config = crawlerConfigFrom({
        chain: chain.name,
        allowPrivate: o.allowPrivate,
        cjdnsRoute: o.cjdns,
        proxy: o.proxy,
        proxyOnion: o.proxyOnion ?? o.onionProxy,
        proxyI2p: o.proxyI2p ?? o.i2pProxy,
        proxyCjdns: o.proxyCjdns,
        transport: o.transport,
        ...timers,
      });
    } catch (err) {
      if (err instanceof ProtocolError) throw new UsageError(err.message);
      if (err instanceof z.ZodError)
        throw timerErrorInFlags(err) ?? new UsageError(z.prettifyError(err).replace(/\n\s*/g, ' '));
      throw err;
    }
    const phases = process.stderr.isTTY ? phaseLine(process.stderr) : undefined;
    const obs = await createVisitor(config).visit(target, {
      crawlId: 'visit',
      explicit: true,
      ...(phases ? { onPhase: phases.show } : {}),
    });
    phases?.clear();
    process.stdout.write(`${JSON.stringify(JSON.parse(observationToJson(obs)), null, 2)}\n`);
    // "Check my node": scripts read the answer from the status too.
    if (obs.outcome !== 'ok') process.exitCode = 1;
  });
}

/** What each phase of a visit waits for, and the flag that sets how long. */
const PHASES: Record<string, (s: string) => string> = {
  connect: (s) => `connecting (up to ${s}, --connect-timeout)`,
  'handshake deadline': (s) => `handshake: waiting for version/verack (up to ${s}, --handshake-timeout)`,
  'getaddr deadline': (s) =>
    `waiting for the getaddr answer (up to ${s}, --getaddr-timeout; a node that knows fewer than 5 addresses never answers)`,
  'small answer complete': (s) => `got a small answer; waiting ${s} for more (--tentative-idle-timeout)`,
  'answer complete': (s) => `receiving the answer (ends after ${s} of silence, --idle-timeout)`,
};

/** One status line on a terminal, rewritten in place as the visit moves from phase to phase. */
function phaseLine(tty: NodeJS.WriteStream) {
  return {
    show(phase: string, ms: number) {
      const secs = `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
      const text = PHASES[phase]?.(secs) ?? phase;
      tty.write(`\r\x1b[2K${text}`);
    },
    clear() {
      tty.write('\r\x1b[2K');
    },
  };
}
