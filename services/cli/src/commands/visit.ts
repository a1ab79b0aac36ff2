import { type Command, Option } from 'commander';
import { z } from 'zod';
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
  connectTimeout: z.coerce.number().int().positive().optional(),
  handshakeTimeout: z.coerce.number().int().positive().optional(),
  getaddrTimeout: z.coerce.number().int().positive().optional(),
  transport: z.enum(['v2-first', 'v1', 'v2-only']).default('v2-first'),
});

/** `bitcrawl visit HOST:PORT`: one visit, its Observation as JSON; exit 0 whatever the outcome. */
export function register(program: Command): void {
  program
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
    .option('--connect-timeout <ms>', 'connect timeout')
    .option('--handshake-timeout <ms>', 'handshake timeout')
    .option('--getaddr-timeout <ms>', 'how long to wait for the getaddr answer')
    .option(
      '--transport <mode>',
      'v2-first (BIP324 v2, v1 when the node hangs up on it), v1 or v2-only',
      process.env.TRANSPORT || 'v2-first',
    )
    .action(async (endpoint: string, raw: unknown) => {
      const o = optsSchema.parse(raw);
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
          connectMs: o.connectTimeout,
          handshakeMs: o.handshakeTimeout,
          getaddrMs: o.getaddrTimeout,
          transport: o.transport,
        });
      } catch (err) {
        if (err instanceof ProtocolError) throw new UsageError(err.message);
        if (err instanceof z.ZodError) throw new UsageError(z.prettifyError(err).replace(/\n\s*/g, ' '));
        throw err;
      }
      const obs = await createVisitor(config).visit(target, { crawlId: 'visit', explicit: true });
      process.stdout.write(`${JSON.stringify(JSON.parse(observationToJson(obs)), null, 2)}\n`);
    });
}
