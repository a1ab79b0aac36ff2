import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InfraError } from '@bitcrawl/model';
import type { Command } from 'commander';
import { z } from 'zod';
import { UsageError } from '../usage-error.ts';

const optsSchema = z.object({
  nodes: z.coerce.number().int().positive().optional(),
  seed: z.coerce.number().int().optional(),
  spec: z.string().optional(),
  groundTruth: z.string().optional(),
  duration: z.coerce.number().positive().default(600),
});

/** `bitcrawl simnet`: runs a simulated network on loopback for tests, demos and benchmarks. */
export function register(program: Command): void {
  program
    .command('simnet')
    .description('run a simulated Bitcoin network on loopback and write its ground truth')
    .option('--nodes <n>', 'number of IPv4 nodes')
    .option('--seed <n>', 'PRNG seed (same spec and seed, same network)')
    .option('--spec <file>', 'JSON spec (see packages/simnet/src/spec.ts)')
    .option(
      '--ground-truth <file>',
      'where to write the ground truth (default: a new file under the temp dir)',
    )
    .option('--duration <seconds>', 'stop after this long', '600')
    .action(async (raw: unknown) => {
      const o = optsSchema.parse(raw);
      const { DEMO_SPEC, startSimnet, simnetSpecSchema } = await import('@bitcrawl/simnet');
      const fromFile = o.spec ? await readSpec(o.spec) : {};
      // Without a spec: DEMO_SPEC (every kind, every network). A spec file starts from the
      // schema's defaults, so what it does not ask for never appears in a benchmark or test.
      const spec = simnetSpecSchema.parse({
        ...(o.spec ? fromFile : DEMO_SPEC),
        ...(o.nodes ? { nodes: o.nodes } : {}),
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
