import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { addFlags, fromFlags } from '@bitcrawl/config';
import { InfraError } from '@bitcrawl/model';
import type { Command } from 'commander';
import { UsageError } from '../usage-error.ts';

/** `bitcrawl simnet`: runs a simulated network on loopback for tests, demos and benchmarks. */
export function register(program: Command): void {
  const cmd = program
    .command('simnet')
    .description('run a simulated Bitcoin network on loopback and write its ground truth');
  addFlags(cmd, 'simnet').action(async (raw: Record<string, unknown>) => {
    const v = fromFlags('simnet', raw);
    const o = { ...v, seed: v.simnetSeed };
    const { DEMO_SPEC, startSimnet, simnetSpecSchema } = await import('@bitcrawl/simnet');
    const fromFile = o.spec ? await readSpec(o.spec) : {};
    // Without a spec: DEMO_SPEC (every kind, every network). A spec file starts from the
    // schema's defaults, so what it does not ask for never appears in a benchmark or test.
    const spec = simnetSpecSchema.parse({
      ...(o.spec ? fromFile : DEMO_SPEC),
      ...(o.nodes !== undefined ? { nodes: o.nodes } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      durationMs: Math.round(o.duration * 1000),
    });
    const groundTruth =
      o.groundTruth ?? path.join(mkdtempSync(path.join(tmpdir(), 'bitcrawl-simnet-')), 'ground-truth.json');
    let sim: Awaited<ReturnType<typeof startSimnet>>;
    try {
      sim = await startSimnet(spec, { groundTruthPath: groundTruth });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw new SimnetPortInUseError(
          `${(err as Error).message.split('\n')[0]}: another simnet (or another server) holds its ports; stop it, or give this one another "port" / "ipv6BasePort" in a --spec`,
        );
      throw err;
    }
    const t = sim.groundTruth;
    const line = (s: string) => process.stdout.write(`${s}\n`);
    line(`simnet up: ${t.nodes.length} addresses, ${t.edgeCount} gossip edges, chain ${t.chain}`);
    line(`seeds: ${sim.seeds.join(' ')}`);
    line(`socks proxy (onion/i2p/cjdns): ${sim.socksProxy}`);
    line(`ground truth: ${groundTruth}`);
    // Complete commands to paste: every proxy, and the loopback timers (a simnet peer that
    // knows too few addresses never answers getaddr; the internet defaults wait 75 s for it).
    const seeds = sim.seeds.map((s) => `--seed ${s}`).join(' ');
    const p = sim.socksProxy;
    line(
      `crawl it: npx bitcrawl crawl --once --no-dns --allow-private ${seeds} --proxy-onion ${p} --proxy-i2p ${p} --proxy-cjdns ${p} --cjdns --profile loopback`,
    );
    line(
      `or as the compose topology: npx bitcrawl stack --once --no-dns --allow-private ${seeds} --env PROXY_ONION=${p} --env PROXY_I2P=${p} --env PROXY_CJDNS=${p} --env CJDNS_ROUTE=true --profile loopback`,
    );
    const stop = () => void sim.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await sim.stopped;
    line('simnet stopped');
  });
}

/** The simnet's addresses are taken (by a simnet already running, say). */
export class SimnetPortInUseError extends InfraError {
  readonly code = 'PORT_IN_USE';
}

/** A spec file's JSON, or a usage error naming the file and what is wrong with it. */
async function readSpec(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read spec ${file}: ${(err as Error).message}`);
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`spec ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec))
    throw new UsageError(`spec ${file} must be a JSON object`);
  return spec as Record<string, unknown>;
}
