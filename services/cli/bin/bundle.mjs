// The esbuild bundle of the CLI (dist/): build.mjs makes it for the Docker image, and
// bitcrawl.mjs runs it, rebuilt first whenever a source changed. An entry per thread (and the
// chunks they share or load lazily) loads in well under half the CPU the TypeScript sources take
// through tsx's loader hooks (measured on a crawl of one address: 2.2 s of CPU against 4.4 s,
// and its seeds enqueued 1.3 s sooner).
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const cli = path.resolve(import.meta.dirname, '..');
const root = path.resolve(cli, '../..');
export const distDir = path.join(cli, 'dist');
/** The digest of the sources dist/ was built from. */
const STAMP = '.sources';
const GROUPS = ['packages', 'services'];
/** Where the code the entries share, and each lazy import, goes (dist/chunks/). */
const CHUNKS = 'chunks';
/** A process started from an older build may still import its chunks lazily: kept this long. */
const OLD_CHUNK_MS = 24 * 3_600_000;

/** The workspace packages bundled into the CLI: every dir of packages/ and services/. */
function workspaces(base = root) {
  return GROUPS.flatMap((group) =>
    readdirSync(path.join(base, group), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(base, group, e.name))
      .sort(),
  );
}

/**
 * A digest of every file the bundle is built from (each workspace's src/ and package.json,
 * the lock file, and these scripts): path, size and mtime. Any edit, checkout or copy changes
 * it; reading no contents keeps it to a few ms per start. `base`: another checkout's root (tests).
 */
export function sourceDigest(base = root) {
  const h = createHash('sha256');
  const add = (file) => {
    const s = statSync(file);
    h.update(`${path.relative(base, file)}\0${s.size}\0${s.mtimeMs}\n`);
  };
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else add(p);
    }
  };
  for (const ws of workspaces(base)) {
    if (existsSync(path.join(ws, 'package.json'))) add(path.join(ws, 'package.json'));
    if (existsSync(path.join(ws, 'src'))) walk(path.join(ws, 'src'));
  }
  add(path.join(base, 'package.json'));
  // The npm packages bundled with them: an `npm ci` that changed one changed the lock file.
  if (existsSync(path.join(base, 'package-lock.json'))) add(path.join(base, 'package-lock.json'));
  add(path.join(cli, 'build.mjs'));
  add(import.meta.filename);
  return h.digest('hex');
}

/**
 * The npm packages that stay in node_modules, loaded from there at run time; every other one is
 * bundled. Native addons cannot be bundled; the dashboard's serve their own files (Bull Board's
 * UI from its package directory); the last two are the build's, not the CLI's.
 */
const EXTERNAL = [
  'chdb', // a native addon (embedded ClickHouse)
  'msgpackr-extract', // BullMQ's msgpackr: an optional native addon, found or not at run time
  '@bull-board/*',
  'express',
  'esbuild',
  'tsx',
];

/**
 * Bundled npm code that is CommonJS may call require() (Node's own modules, the native addons
 * above) and read __dirname; an ES module has neither, so each file gets them.
 */
const COMMONJS_GLOBALS = [
  "import { createRequire as __bitcrawlRequire } from 'node:module';",
  "import { fileURLToPath as __bitcrawlPath } from 'node:url';",
  'const require = __bitcrawlRequire(import.meta.url);',
  'const __filename = __bitcrawlPath(import.meta.url);',
  "const __dirname = __bitcrawlPath(new URL('.', import.meta.url));",
].join(' ');

/**
 * Bundles the CLI and both threads' scripts into outdir, npm dependencies included (but
 * EXTERNAL): a worker starts on about half the CPU it took with them loaded from node_modules
 * (0.28 s against 0.53, idle), since Node then resolves, reads and lexes hundreds of files
 * (BullMQ alone opens 162) for every process, and a stack starts six.
 */
export async function buildBundle(outdir, logLevel = 'silent') {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [
      { in: path.join(cli, 'src/entry.ts'), out: 'bitcrawl' },
      { in: path.join(root, 'services/worker/src/thread-entry.ts'), out: 'worker-thread' },
      { in: path.join(root, 'services/ingester/src/thread-entry.ts'), out: 'ingest-thread' },
    ],
    bundle: true,
    // The commands' lazy imports stay lazy: without splitting, esbuild inlines each dynamic
    // import and hoists its npm imports to the top, so `crawl` loaded express and Bull Board,
    // and the ingest thread BullMQ (about 0.5 s of CPU a start).
    splitting: true,
    chunkNames: `${CHUNKS}/[name]-[hash]`,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir,
    outExtension: { '.js': '.mjs' },
    external: EXTERNAL.flatMap((name) => (name.endsWith('*') ? [name] : [name, `${name}/*`])),
    banner: { js: `#!/usr/bin/env node\n${COMMONJS_GLOBALS}` },
    logLevel,
  });
}

/**
 * dist/bitcrawl.mjs, built now if the sources changed since it was (undefined if it cannot be:
 * no esbuild, a read-only install). Concurrent starts each build into a directory of their own
 * and rename the files into place, the stamp last, so no start runs a half-written bundle.
 */
export async function freshBundle() {
  const entry = path.join(distDir, 'bitcrawl.mjs');
  let tmp;
  try {
    const digest = sourceDigest();
    const stamp = path.join(distDir, STAMP);
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest && existsSync(entry)) return entry;
    tmp = mkdtempSync(path.join(cli, '.dist-'));
    await buildBundle(tmp);
    writeFileSync(path.join(tmp, STAMP), digest);
    // Chunks first (named by content: one name, one code), then the entries, the stamp last.
    const chunks = readdirSync(path.join(tmp, CHUNKS));
    mkdirSync(path.join(distDir, CHUNKS), { recursive: true });
    for (const name of chunks) renameSync(path.join(tmp, CHUNKS, name), path.join(distDir, CHUNKS, name));
    for (const name of ['worker-thread.mjs', 'ingest-thread.mjs', 'bitcrawl.mjs', STAMP])
      renameSync(path.join(tmp, name), path.join(distDir, name));
    pruneChunks(new Set(chunks));
    return entry;
  } catch {
    return undefined;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

/** Removes the chunks of earlier builds (not in `keep`) once no process is likely to need them. */
function pruneChunks(keep) {
  const dir = path.join(distDir, CHUNKS);
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (!keep.has(name) && Date.now() - statSync(file).mtimeMs > OLD_CHUNK_MS) rmSync(file, { force: true });
  }
}
