import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '../../..');

/**
 * Bundles a bench client script (of this directory): @bitcrawl/* sources inlined, npm packages
 * left to node_modules. The clients run as bundles on plain node, as the Docker image runs the
 * worker, and so their crawl threads load them as they are (tsx's hooks do not reach a Worker).
 * `dir` names the output directory under node_modules/.cache, where node_modules resolves.
 */
export async function bundleClient(entry: string, dir = 'bitcrawl-bench'): Promise<string> {
  const outfile = path.join(root, 'node_modules/.cache', dir, `${path.basename(entry, '.ts')}.mjs`);
  await build({
    entryPoints: [path.join(import.meta.dirname, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
    plugins: [
      {
        name: 'npm-external',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@bitcrawl/') ? undefined : { path: args.path, external: true },
          );
        },
      },
    ],
  });
  return outfile;
}
