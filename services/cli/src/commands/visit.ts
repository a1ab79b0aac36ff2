import { addFlags } from '@bitcrawl/config';
import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../usage-error.ts';

/**
 * `bitcrawl visit HOST:PORT` ("check my node"): one visit, its Observation as JSON on stdout.
 * Exit 0 when the node was reachable (outcome `ok`), 1 for any other outcome (the JSON says
 * which), 2 for bad arguments. On a terminal, stderr shows the phase it is waiting in.
 */
export function register(program: Command): void {
  const cmd = program
    .command('visit')
    .description('visit one node and print its observation (handshake, version fields, getaddr answer)')
    .argument('<endpoint>', 'HOST:PORT, [IPv6]:PORT, NAME.onion:PORT or NAME.b32.i2p');
  addFlags(cmd, 'visit').action(async (endpoint: string, raw: Record<string, unknown>) => {
    const { fromFlags, inputOf, parseNamed, profileTimers } = await import('@bitcrawl/config');
    const { chainByName, parseEndpoint, ProtocolError } = await import('@bitcrawl/protocol');
    const { createVisitor, crawlerConfigSchema } = await import('@bitcrawl/crawler');
    const { observationToJson } = await import('@bitcrawl/model');
    const o = profileTimers(fromFlags('visit', raw, process.env));
    let target: ReturnType<typeof parseEndpoint>;
    let config: ReturnType<typeof crawlerConfigSchema.parse>;
    try {
      target = parseEndpoint(endpoint, chainByName(o.chain).defaultPort, { cjdns: o.cjdnsRoute });
      config = parseNamed('crawler', 'visit', 'flag', () =>
        crawlerConfigSchema.parse(inputOf('crawler', 'visit', o)),
      );
    } catch (err) {
      if (err instanceof ProtocolError) throw new UsageError(err.message);
      if (err instanceof z.ZodError) throw new UsageError(z.prettifyError(err).replace(/\n\s*/g, ' '));
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
