import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadGeoDb } from '../src/load.ts';
import { writeSynthetic } from './synthetic.ts';

// `npm run bench -w @bitcrawl/geo`: load + lookup figures at the real file's size (~500k ranges).
const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-geo-bench-'));
const file = path.join(dir, 'synthetic.tsv.gz');
const { inside } = await writeSynthetic(file, 500_000);
const heap0 = process.memoryUsage().heapUsed;
const loaded = await loadGeoDb(file);
const heap = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
const t = performance.now();
let hits = 0;
for (let i = 0; i < 1_000_000; i++) {
  const [network, host] = inside[i % inside.length] as [string, string, number];
  if (loaded.db.lookup(network, host)) hits++;
}
const ms = performance.now() - t;
console.log(
  `${loaded.ranges} ranges (${(statSync(file).size / 2 ** 20).toFixed(1)} MiB gz) loaded in ${loaded.ms.toFixed(0)} ms, heap +${heap.toFixed(0)} MiB; ` +
    `1M lookups in ${ms.toFixed(0)} ms (${((ms * 1000) / 1e6).toFixed(2)} µs each), ${hits} hits`,
);
rmSync(dir, { recursive: true, force: true });
