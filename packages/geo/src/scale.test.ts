import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { writeSynthetic } from '../bench/synthetic.ts';
import { loadGeoDb } from './load.ts';

// The real ip2asn-combined.tsv has ~500k ranges: load it and look up 1M addresses, checking
// answers. Times are printed, not asserted: how fast is the machine's business (a loaded 2-core
// one takes several times as long), and speed targets live in benchmarks (`npm run bench -w @bitcrawl/geo`).
it('handles a database the size of the real file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bitcrawl-geo-scale-'));
  try {
    const file = path.join(dir, 'synthetic.tsv.gz');
    const { inside } = await writeSynthetic(file, 500_000);
    const loaded = await loadGeoDb(file);
    expect(loaded.ranges).toBe(500_000);
    const t = performance.now();
    let wrong = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const [network, host, asn] = inside[i % inside.length] as [string, string, number];
      if (loaded.db.lookup(network, host)?.asn !== asn) wrong++;
    }
    const ms = performance.now() - t;
    console.log(`geo: 500k ranges loaded in ${loaded.ms.toFixed(0)} ms; 1M lookups in ${ms.toFixed(0)} ms`);
    expect(wrong).toBe(0);
    expect(loaded.db.lookup('ipv4', '255.255.255.255')).toBeUndefined();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
